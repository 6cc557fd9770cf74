#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { AuditVerifyError, describeVerification, verifyAuditChains } from './audit/verify.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/engine.js';
import { migrate, MigrationError } from './db/migrate.js';
import { pendingMigrations } from './db/migration-status.js';
import { serviceRoleProblems } from './db/role-check.js';
import { createDemoCompany } from './demo.js';
import { buildApp } from './http/app.js';
import { startReminderScheduler } from './reminders/scheduler.js';

const HELP: Record<string, string> = {
  main: `Usage: pactum <command> [--help]

Commands:
  serve     start the HTTP service (what \`npm start\` runs)
  migrate   apply pending database migrations
  demo      create a demo company and print how to sign in
  audit     verify every tenant's hash-chained audit trail (pactum audit verify)

Configuration comes from the environment; see README.md.`,
  serve: `Usage: pactum serve

Starts the HTTP service on HOST:PORT (default 127.0.0.1:3000).
Without PACTUM_DATABASE_URL it uses embedded PostgreSQL (PGlite) in PACTUM_DATA_DIR (default ./data)
and applies migrations itself; with it, run \`pactum migrate\` first. PACTUM_DATABASE_URL should log in
as pactum_app: with NODE_ENV=production, serve refuses a superuser, a BYPASSRLS role or a table owner.`,
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
changes nothing.`,
  audit: `Usage: pactum audit verify

Walks every tenant's audit trail in the database of PACTUM_MIGRATION_DATABASE_URL (default
PACTUM_DATABASE_URL) or the embedded database and checks its hash chain: each row's hash matches its content, links to the row before, and seq counts up from 1 without
gaps. Runs as the database owner (the app role cannot see across tenants).
Exits 0 when every chain holds; 2 with the first broken row's tenant and seq when one does not;
1 when it could not check.`,
};

function print(text: string) {
  process.stdout.write(`${text}\n`);
}

/** Migrations and audit verification log in as the owner (`asOwner`); the one-URL quick start uses PACTUM_DATABASE_URL. */
async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>, asOwner = false): Promise<T> {
  const ownerUrl = asOwner ? (config.migrationDatabaseUrl ?? config.databaseUrl) : null;
  const database = await openDatabase(asOwner ? { ...config, databaseUrl: ownerUrl, ownerUrl } : config);
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
  if (config.production) throw new ConfigError(`NODE_ENV=production refuses to serve: ${reason}. Set PACTUM_DATABASE_URL to log in as pactum_app (README, "Using a PostgreSQL server").`);
  app.log.warn(`!!! ${reason}. Tenant isolation does not fail closed with this login; NODE_ENV=production refuses it. Log in as pactum_app (README).`);
}

/** Opens, prepares and builds; a failure on the way releases what was opened so the process can exit. */
async function startApp(config: Config): Promise<{ app: FastifyInstance; database: Database }> {
  const database = await openDatabase(config);
  let app: FastifyInstance | undefined;
  try {
    await prepareSchema(database);
    app = await buildApp({ config, database });
    await checkServiceRole(config, database, app);
    await app.listen({ port: config.port, host: config.host });
    return { app, database };
  } catch (error) {
    await app?.close();
    await database.close();
    throw error;
  }
}

async function serve(config: Config) {
  const { app, database } = await startApp(config);
  // Started here, not in buildApp, so tests drive the job themselves; every node runs it, the lease picks one.
  const reminders = startReminderScheduler({ config, kysely: database.kysely, logger: app.log });
  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await reminders.stop();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  const engine = database.engine === 'embedded' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL server';
  app.log.info(
    { publicUrl: config.publicUrl.href, engine, smsProvider: config.sms.provider },
    config.sms.provider === 'console'
      ? 'Pactum is ready; one-time codes are printed to this console (PACTUM_SMS_PROVIDER=console)'
      : 'Pactum is ready',
  );
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
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
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config);
      return -1;
    case 'migrate': {
      const { applied } = await withDatabase(config, migrate, true);
      print(applied.length ? `Applied ${applied.join(', ')}.` : 'Database is up to date.');
      return 0;
    }
    case 'demo': {
      const demo = await withDatabase(config, async (database) => {
        await prepareSchema(database);
        return createDemoCompany(database);
      });
      if (!demo) {
        print('The demo company exists already (demo@pactum.example); nothing was changed. Its password was printed when it was created.');
        return 0;
      }
      const { vault } = demo;
      print(
        `Demo company created: ${vault.vendors} vendors, ${vault.products} products, ${vault.contracts} contracts since ${vault.firstYear}, ` +
          `${vault.proposals} proposals (${vault.pendingProposals} pending), ${vault.deadlines} notice and end dates in the next 90 days.\n` +
          `  e-mail:   ${demo.email}\n  password: ${demo.password}\n` +
          "Sign in with these; the login code goes to the demo phone (+41 •• ••• •• 67) and, with the console SMS provider, appears in the server's console.",
      );
      return 0;
    }
    case 'audit':
      return auditVerify(config);
  }
  return 1;
}

/** Verifies as the owner; a schema behind the code is refused rather than migrated by a read-only check. */
async function auditVerify(config: Config): Promise<number> {
  const result = await withDatabase(
    config,
    async (database) => {
      const pending = await pendingMigrations(database);
      if (pending.length > 0) throw new MigrationError(`the database needs migrations (${pending.join(', ')}); run \`pactum migrate\` first`);
      return database.withScriptSession((session) => verifyAuditChains(session.query));
    },
    true,
  );
  if (result.ok) {
    print(describeVerification(result));
    return 0;
  }
  for (const broken of result.broken) print(`tenant ${broken.tenantId}: first broken row seq ${broken.seq}: ${broken.reason}`);
  process.stderr.write(`pactum: ${describeVerification(result)}\n`);
  return 2;
}

class UsageError extends Error {}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof ConfigError || error instanceof MigrationError || error instanceof UsageError || error instanceof AuditVerifyError || isArgError(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pactum: ${known ? message : `unexpected error: ${message}`}\n`);
    if (!known && process.env.PACTUM_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 1;
  },
);

function isArgError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
}
