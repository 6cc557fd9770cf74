#!/usr/bin/env -S node --heap-growing-percent=50
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { AuditVerifyError, describeVerification, verifyAuditChains } from './audit/verify.js';
import { loadBackupConfig } from './backup/backup-config.js';
import { startServeBackups, type BackupJob, type BackupStatus } from './backup/schedule.js';
import { auditHeadsCheck, BACKUP_HELP, isBackupError, RESTORE_HELP, runBackupCommand, runRestoreCommand } from './backup/cli.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { openDatabase, type Database } from './db/engine.js';
import { migrate, MigrationError } from './db/migrate.js';
import { pendingMigrations } from './db/migration-status.js';
import { serviceRoleProblems } from './db/role-check.js';
import { DatabaseWaitExpiredError, describeDatabase, waitForDatabase } from './db/wait-for-database.js';
import { createDemoCompany, type DemoCompany } from './demo.js';
import { createDocumentStorage } from './documents/storage-from-config.js';
import type { DocumentStorage } from './documents/storage.js';
import { startDocumentSweepScheduler } from './documents/sweep.js';
import { buildApp } from './http/app.js';
import { DEFAULT_WEB_APP_DIR } from './http/web-app.js';
import { loggerOptions } from './http/logging.js';
import { formatOpenApiDocument, generateOpenApiDocument } from './http/openapi-document.js';
import { startReminderScheduler } from './reminders/scheduler.js';

const HELP: Record<string, string> = {
  main: `Usage: pactum <command> [--help]

Commands:
  serve     start the HTTP service (what \`npm start\` runs; --demo adds the demo company)
  migrate   apply pending database migrations
  demo      create a demo company and print how to sign in (or: serve --demo)
  audit     verify every tenant's hash-chained audit trail (pactum audit verify [--against <backup|latest>])
  backup    take an encrypted backup now; backup list; backup verify <backup|latest>
  restore   restore a backup into an empty database (pactum restore <backup|latest> [--force])
  openapi   print the OpenAPI 3.1 description of the HTTP API (or write it with --out FILE)

Configuration comes from the environment; see README.md.`,
  serve: `Usage: pactum serve [--demo]

Starts the HTTP service on HOST:PORT (default 127.0.0.1:3000).
Without PACTUM_DATABASE_URL it uses embedded PostgreSQL (PGlite) in PACTUM_DATA_DIR (default ./data)
and applies migrations itself; with it, run \`pactum migrate\` first. A server database that cannot be
reached is retried with backoff for PACTUM_DATABASE_WAIT_SECONDS (default 300) before giving up.
SIGTERM or SIGINT stops taking requests, finishes those in flight within PACTUM_SHUTDOWN_SECONDS
(default 10), then exits.
At start and then hourly, whichever node holds the job's lease sends due deadline reminders and removes
what failed document uploads left behind (older than PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS).
With PACTUM_BACKUP_KEY and a destination (PACTUM_BACKUP_DIR or PACTUM_BACKUP_S3_*) set, one node takes the
daily backup at PACTUM_BACKUP_AT (02:00 UTC; see \`pactum backup --help\`) and /readyz reports its outcome.
PACTUM_DATABASE_URL should log in as pactum_app: with NODE_ENV=production, serve refuses a superuser,
a BYPASSRLS role or a table owner. An embedded data directory serves one process at a time: a second command on it is refused.

  --demo   first create the demo company (see \`pactum demo --help\`) if it is missing, and print how
           to sign in; \`npm run start:demo\` runs this. Refused with NODE_ENV=production.`,
  migrate: `Usage: pactum migrate

Applies pending SQL migrations (src/db/migrations) in order, each in its own transaction, as the owner:
PACTUM_MIGRATION_DATABASE_URL (default PACTUM_DATABASE_URL) or the embedded database. Refuses if an
applied migration was edited.`,
  demo: `Usage: pactum demo

Creates "Demo Company AG" with a master user and a filled contract vault — five vendors with their
products and licence metrics, several years of contracts and renewals, pending proposals in two
versions and notice deadlines in the coming weeks (dates count from today) — and prints the e-mail
and password to sign in with. The login code goes to the demo phone number through the configured SMS
provider (with the default console provider it is printed by the running server). Running it again
changes nothing.
On the embedded database it needs the data directory to itself; while a server runs on it, start that
server with \`pactum serve --demo\` instead (it creates the same company).`,
  backup: BACKUP_HELP,
  restore: RESTORE_HELP,
  audit: `Usage: pactum audit verify [--against <backup|latest>]

Walks every tenant's audit trail in the database of PACTUM_MIGRATION_DATABASE_URL (default
PACTUM_DATABASE_URL) or the embedded database and checks its hash chain: each row's hash matches its content, links to the row before, and seq counts up from 1 without
gaps. Runs as the database owner (the app role cannot see across tenants).
With --against, each tenant's chain is also compared with the head that backup recorded (see \`pactum
backup --help\`): a trail cut off at its end, deleted whole or rewritten since then is reported too.
Exits 0 when every chain holds; 2 with the first broken row's tenant and seq when one does not;
1 when it could not check.`,
  openapi: `Usage: pactum openapi [--out FILE]

Prints the OpenAPI 3.1 description of every /api route as JSON — the document a running server serves
at /api/v1/openapi.json and renders at /api/docs. Needs no database and no configuration: the routes are
registered in memory and nothing is stored. With --out it writes FILE instead (\`npm run openapi:write\`
writes web/src/api/openapi.json, from which the web app's typed client is generated).`,
};

function print(text: string) {
  process.stdout.write(`${text}\n`);
}

/**
 * Opens the database for a one-shot command. Migrations and audit verification log in as the owner
 * (`asOwner`); the one-URL quick start uses PACTUM_DATABASE_URL for both.
 */
async function withDatabase<T>(config: Config, command: string, work: (database: Database) => Promise<T>, asOwner = false): Promise<T> {
  const ownerUrl = asOwner ? (config.migrationDatabaseUrl ?? config.databaseUrl) : null;
  const database = await openDatabase(asOwner ? { ...config, databaseUrl: ownerUrl, ownerUrl } : config, `pactum ${command}`);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

/** Embedded databases migrate themselves; a server database must be migrated on purpose, by its owner. */
async function prepareSchema(database: Database) {
  if (database.engine === 'embedded') {
    await migrate(database);
    return;
  }
  const pending = await pendingMigrations(database);
  if (pending.length > 0) throw new MigrationError(`the database needs migrations (${pending.join(', ')}); run \`pactum migrate\` first`);
}

/**
 * The service's login must leave isolation nothing to fail open with (src/db/role-check.ts): production
 * refuses to serve otherwise; elsewhere (the one-URL quick start) it warns once, loudly. PGlite cannot log
 * in as another role at all (docs/security.md).
 */
async function checkServiceRole(config: Config, database: Database, app: FastifyInstance) {
  if (database.engine === 'embedded') return;
  const problems = await serviceRoleProblems(database.kysely);
  if (problems.length === 0) return;
  const reason = `the service's database role is unfit: ${problems.join('; ')}`;
  if (config.production)
    throw new ConfigError(
      `NODE_ENV=production refuses to serve: ${reason}. Set PACTUM_DATABASE_URL to log in as pactum_app (README, "Using a PostgreSQL server").`,
    );
  app.log.warn(
    `!!! ${reason}. Tenant isolation does not fail closed with this login; NODE_ENV=production refuses it. Log in as pactum_app (README).`,
  );
}

/**
 * Opens, waits for the database (a node started during a failover comes up by itself), prepares and
 * builds; a failure on the way releases what was opened so the process can exit.
 */
async function startApp(
  config: Config,
  options: { demo: boolean; documentStorage: DocumentStorage; backupStatus?: () => BackupStatus },
): Promise<{ app: FastifyInstance; database: Database; demo: DemoCompany | null }> {
  const database = await openDatabase(config, options.demo ? 'pactum serve --demo' : 'pactum serve');
  let app: FastifyInstance | undefined;
  try {
    if (config.databaseUrl) {
      const logger = pino(loggerOptions(config.logLevel));
      await waitForDatabase(() => prepareSchema(database), {
        waitSeconds: config.databaseWaitSeconds,
        target: describeDatabase(config.databaseUrl),
        onRetry: ({ attempt, reason, retryInMs, target }) =>
          logger.warn({ attempt, database: target, reason, retryInMs }, 'database not reachable yet; retrying'),
      });
    } else {
      await prepareSchema(database);
    }
    // Created by the process that holds the data directory, so nothing else has to open it.
    const demo = options.demo ? await createDemoCompany(database) : null;
    app = await buildApp({
      config,
      database,
      documentStorage: options.documentStorage,
      backupStatus: options.backupStatus,
      webAppDir: DEFAULT_WEB_APP_DIR,
    });
    await checkServiceRole(config, database, app);
    await app.listen({ port: config.port, host: config.host });
    return { app, database, demo };
  } catch (error) {
    await app?.close();
    await database.close();
    throw error;
  }
}

async function serve(config: Config, options: { demo: boolean }) {
  if (options.demo && config.production) throw new UsageError('serve --demo is for trying Pactum out; NODE_ENV=production refuses it.');
  const documentStorage = await createDocumentStorage(config.documentStorage);
  // Read (and a half configuration refused) before anything starts; the job itself needs the open database.
  const backupConfig = loadBackupConfig();
  let backupJob: BackupJob | null = null;
  const backupStatus = backupConfig.target ? () => backupJob?.status() ?? { lastSuccessAt: null, lastError: null } : undefined;
  const { app, database, demo } = await startApp(config, { ...options, documentStorage, backupStatus });
  // Started here, not in buildApp, so tests drive the jobs themselves; every node runs them, the leases pick one.
  const reminders = startReminderScheduler({ config, kysely: database.kysely, logger: app.log });
  const documentSweep = startDocumentSweepScheduler({ config, kysely: database.kysely, storage: documentStorage, logger: app.log });
  // Billing's modules (the Stripe client among them) load only when it is on: start-up is what a failover waits for.
  const seatSync = config.billing
    ? (await import('./billing/seat-sync.js')).startSeatSyncScheduler({ config: config.billing, kysely: database.kysely, logger: app.log })
    : null;
  const backups = await startServeBackups({ config, backup: backupConfig, database, logger: app.log });
  backupJob = backups?.job ?? null;
  const shutdown = async (signal: string) => {
    const budgetMs = config.shutdownSeconds * 1000;
    // Whatever hangs, the process is gone within PACTUM_SHUTDOWN_SECONDS: a supervisor counts on it.
    setTimeout(() => {
      app.log.error({ signal }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, budgetMs).unref();
    app.log.info({ signal, shutdownSeconds: config.shutdownSeconds }, 'shutting down: no new requests; finishing the ones in flight');
    // The pool closes last, so it needs a moment of the budget after requests and jobs.
    const deadlineMs = Math.max(budgetMs - Math.min(1_000, budgetMs / 4), 1);
    const { forced, elapsedMs } = await app.drain({
      deadlineMs,
      jobs: [() => reminders.stop(), () => documentSweep.stop(), async () => seatSync?.stop(), async () => backups?.scheduler.stop()],
    });
    if (forced) app.log.warn({ elapsedMs }, 'requests or jobs were still running at the shutdown deadline; their connections were closed');
    await database.close();
    app.log.info({ elapsedMs }, 'stopped');
    process.exit(forced ? 1 : 0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const engine = database.engine === 'embedded' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL server';
  app.log.info(
    {
      publicUrl: config.publicUrl.href,
      engine,
      smsProvider: config.sms.provider,
      billing: config.billing ? 'stripe' : 'off',
      // From process start: what a failover waits for once the database is back (docs/operations.md).
      startupMs: Math.round(process.uptime() * 1000),
    },
    config.sms.provider === 'console'
      ? 'Pactum is ready; one-time codes are printed to this console (PACTUM_SMS_PROVIDER=console)'
      : 'Pactum is ready',
  );
  if (options.demo) print(demo ? describeDemo(demo) : DEMO_EXISTS);
}

const DEMO_EXISTS =
  'The demo company exists already (demo@pactum.example); nothing was changed. Its password was printed when it was created.';

function describeDemo({ email, password, vault }: DemoCompany): string {
  return (
    `Demo company created: ${vault.vendors} vendors, ${vault.products} products, ${vault.contracts} contracts since ${vault.firstYear}, ` +
    `${vault.proposals} proposals (${vault.pendingProposals} pending), ${vault.deadlines} notice and end dates in the next 90 days.\n` +
    `  e-mail:   ${email}\n  password: ${password}\n` +
    "Sign in with these; the login code goes to the demo phone (+41 •• ••• •• 67) and, with the console SMS provider, appears in the server's console."
  );
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      demo: { type: 'boolean' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      against: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!command || command === 'help') {
    print(HELP.main!);
    return command || values.help ? 0 : 1;
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`unknown command "${command}" (try pactum --help)`);
  if (values.help) {
    print(HELP[command]!);
    return 0;
  }
  if (command === 'audit' && (positionals[1] !== 'verify' || positionals.length > 2)) throw new UsageError('usage: pactum audit verify');
  if (values.demo && command !== 'serve') throw new UsageError(`--demo is an option of serve only (pactum serve --demo)`);
  if (values.force && command !== 'restore') throw new UsageError('--force is an option of restore only (pactum restore <backup> --force)');
  if (values.against !== undefined && command !== 'audit') throw new UsageError('--against is an option of audit verify only');
  if (values.out !== undefined && command !== 'openapi')
    throw new UsageError('--out is an option of openapi only (pactum openapi --out FILE)');
  if (command === 'openapi' && positionals.length > 1) throw new UsageError('usage: pactum openapi [--out FILE]');
  if (command === 'openapi') return writeOpenApi(values.out);
  const config = loadConfig();
  if (command !== 'serve') exitOnSignal();
  switch (command) {
    case 'serve':
      await serve(config, { demo: values.demo === true });
      return -1;
    case 'migrate': {
      const { applied } = await withDatabase(config, 'migrate', migrate, true);
      print(applied.length ? `Applied ${applied.join(', ')}.` : 'Database is up to date.');
      return 0;
    }
    case 'demo': {
      const demo = await withDatabase(config, 'demo', async (database) => {
        await prepareSchema(database);
        return createDemoCompany(database);
      });
      print(demo ? describeDemo(demo) : DEMO_EXISTS);
      return 0;
    }
    case 'audit':
      return auditVerify(config, values.against);
    case 'backup':
      return runBackupCommand(config, positionals.slice(1));
    case 'restore':
      return runRestoreCommand(config, positionals.slice(1), { force: values.force === true });
  }
  return 1;
}

/** Verifies as the owner; a schema behind the code is refused rather than migrated by a read-only check. */
async function auditVerify(config: Config, against: string | undefined): Promise<number> {
  const heads = against === undefined ? null : await auditHeadsCheck(against);
  const result = await withDatabase(
    config,
    'audit verify',
    async (database) => {
      const pending = await pendingMigrations(database);
      if (pending.length > 0)
        throw new MigrationError(`the database needs migrations (${pending.join(', ')}); run \`pactum migrate\` first`);
      return database.withScriptSession(async (session) => {
        const verification = await verifyAuditChains(session.query);
        if (!heads) return verification;
        const cut = await heads.check(session.query);
        return { ...verification, ok: verification.ok && cut.length === 0, broken: [...verification.broken, ...cut] };
      });
    },
    true,
  );
  if (result.ok) {
    print(describeVerification(result));
    if (heads) print(`Every audit trail still reaches the head recorded in backup ${heads.backupId}.`);
    return 0;
  }
  for (const broken of result.broken) print(`tenant ${broken.tenantId}: first broken row seq ${broken.seq}: ${broken.reason}`);
  process.stderr.write(`pactum: ${describeVerification(result)}\n`);
  return 2;
}

/** Configuration-free on purpose: the document is the same for every deployment (src/http/openapi-document.ts). */
async function writeOpenApi(out: string | undefined): Promise<number> {
  const text = formatOpenApiDocument(await generateOpenApiDocument());
  if (out === undefined) process.stdout.write(text);
  else writeFileSync(out, text);
  return 0;
}

class UsageError extends Error {}

/**
 * A one-shot command stopped by Ctrl-C or SIGTERM exits through process.exit, whose 'exit' handlers give
 * the data directory back at once (the default signal action would skip them and leave a stale claim for
 * the next start to sweep up).
 */
function exitOnSignal() {
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/** What to do instead, by the command that was refused. */
const LOCKED_HINTS: Record<string, string> = {
  serve: 'stop that process first, or give this one its own PACTUM_DATA_DIR.',
  demo: 'to add the demo company without losing the running server, restart it as `pactum serve --demo` (npm run start:demo).',
  migrate: 'a server on the embedded database migrates it itself at start; stop that process first to migrate by hand.',
  audit: 'stop that process first (an embedded database serves one process at a time), then run this again.',
  backup: 'a running server takes the daily backup itself (PACTUM_BACKUP_AT); to back up by hand, stop it first.',
  restore: 'stop that process first: a restore needs the data directory to itself.',
};

function describeLocked(error: DataDirLockedError, command: string | undefined): string {
  const { holder } = error;
  const who = Number.isNaN(holder.pid) ? holder.command : `\`${holder.command}\` (PID ${holder.pid}, since ${holder.since})`;
  const hint =
    command === 'demo' && holder.command.includes('--demo')
      ? 'that server created the demo company at its start (its output shows how to sign in); sign in through it.'
      : (LOCKED_HINTS[command ?? ''] ?? LOCKED_HINTS.serve);
  return `the data directory ${error.dataDir} is in use by ${who}; ${hint}`;
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(
        `pactum: ${describeLocked(
          error,
          process.argv.slice(2).find((arg) => !arg.startsWith('-')),
        )}\n`,
      );
      process.exitCode = 1;
      return;
    }
    const known =
      error instanceof ConfigError ||
      error instanceof MigrationError ||
      error instanceof UsageError ||
      error instanceof AuditVerifyError ||
      error instanceof DatabaseWaitExpiredError ||
      isBackupError(error) ||
      isArgError(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pactum: ${known ? message : `unexpected error: ${message}`}\n`);
    if (!known && process.env.PACTUM_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 1;
  },
);

function isArgError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
}
