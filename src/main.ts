#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { AuditVerifyError, describeVerification, verifyAuditChains } from './audit/verify.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/engine.js';
import { migrate, MigrationError } from './db/migrate.js';
import { pendingMigrations } from './db/migration-status.js';
import { createDemoCompany } from './demo.js';
import { createDocumentStorage } from './documents/storage-from-config.js';
import type { DocumentStorage } from './documents/storage.js';
import { startDocumentSweepScheduler } from './documents/sweep.js';
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
and applies migrations itself; with it, run \`pactum migrate\` first.
At start and then hourly, whichever node holds the job's lease sends due deadline reminders and removes
what failed document uploads left behind (older than PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS).`,
  migrate: `Usage: pactum migrate

Applies pending SQL migrations (src/db/migrations) in order, each in its own transaction, to
PACTUM_DATABASE_URL or the embedded database. Refuses if an applied migration was edited.`,
  demo: `Usage: pactum demo

Creates "Demo Company AG" with a master user and a filled contract vault — five vendors with their
products and licence metrics, several years of contracts and renewals, pending proposals in two
versions and notice deadlines in the coming weeks (dates count from today) — and prints the e-mail
and password to sign in with. The login code goes to the demo phone number through the configured SMS
provider (with the default console provider it is printed by the running server). Running it again
changes nothing.`,
  audit: `Usage: pactum audit verify

Walks every tenant's audit trail in PACTUM_DATABASE_URL or the embedded database and checks its hash
chain: each row's hash matches its content, links to the row before, and seq counts up from 1 without
gaps. Runs as the database owner (the app role cannot see across tenants).
Exits 0 when every chain holds; 2 with the first broken row's tenant and seq when one does not;
1 when it could not check.`,
};

function print(text: string) {
  process.stdout.write(`${text}\n`);
}

async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
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

/** Opens, prepares and builds; a failure on the way releases what was opened so the process can exit. */
async function startApp(config: Config, documentStorage: DocumentStorage): Promise<{ app: FastifyInstance; database: Database }> {
  const database = await openDatabase(config);
  let app: FastifyInstance | undefined;
  try {
    await prepareSchema(database);
    app = await buildApp({ config, database, documentStorage });
    await app.listen({ port: config.port, host: config.host });
    return { app, database };
  } catch (error) {
    await app?.close();
    await database.close();
    throw error;
  }
}

async function serve(config: Config) {
  const documentStorage = await createDocumentStorage(config.documentStorage);
  const { app, database } = await startApp(config, documentStorage);
  // Started here, not in buildApp, so tests drive the jobs themselves; every node runs them, the leases pick one.
  const reminders = startReminderScheduler({ config, kysely: database.kysely, logger: app.log });
  const documentSweep = startDocumentSweepScheduler({ config, kysely: database.kysely, storage: documentStorage, logger: app.log });
  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await reminders.stop();
    await documentSweep.stop();
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
      const { applied } = await withDatabase(config, migrate);
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
  const result = await withDatabase(config, async (database) => {
    const pending = await pendingMigrations(database);
    if (pending.length > 0) throw new MigrationError(`the database needs migrations (${pending.join(', ')}); run \`pactum migrate\` first`);
    return database.withScriptSession((session) => verifyAuditChains(session.query));
  });
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
