import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PipelinedPostgresDialect } from './postgres-dialect.js';
import { createReadinessProbe } from './readiness-probe.js';
import type { Schema } from './schema.js';

export type EngineKind = 'embedded' | 'postgres';

/** A statement runner for migrations: plain multi-statement SQL, no parameters. */
export interface ScriptSession {
  query<Row>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a whole script atomically in its own transaction. */
  runInTransaction(script: string): Promise<void>;
}

export interface Database {
  engine: EngineKind;
  /** The service's connections: every statement runs as pactum_app. */
  kysely: Kysely<Schema>;
  /**
   * Exclusive session as the owner, for migrations and audit verification (a PostgreSQL advisory lock
   * keeps concurrent nodes in turn). On a server it logs in with the owner URL, if one was given.
   */
  withScriptSession<T>(work: (session: ScriptSession) => Promise<T>): Promise<T>;
  /**
   * Whether the database answers, and how far standbys lag (null on the embedded engine, or when the
   * service's login may not read pg_stat_replication: docs/operations.md, Replication). Asked
   * over a connection of its own with short timeouts, never through the request pool, so a saturated pool
   * does not read as an unreachable database; throws when the database cannot be reached. `readOnly`: the
   * server is a standby still in recovery (not promoted, or this node pointed at the wrong server).
   */
  readiness(): Promise<{ replication: Replication | null; readOnly: boolean }>;
  /** The request pool's counters (node-postgres' public ones); null on the embedded engine. */
  poolPressure(): PoolPressure | null;
  /**
   * Embedded engine only: PGlite's own copy of its data directory (a gzip'd tarball), taken while no
   * statement runs, so it is crash-consistent; `pactum backup` and the scheduled backup use it.
   */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface Replication {
  standbys: number;
  maxLagSeconds: number | null;
}

export interface PoolPressure {
  /** Requests waiting for a connection. */
  waiting: number;
  total: number;
  idle: number;
}

const MIGRATION_LOCK = 7_215_093;

/** The role every statement of the service runs as (migration 0001). */
export const APP_ROLE = 'pactum_app';

// DATE columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone.
const DATE_OID = 1082;

/** `command` names the caller in the data-directory lock, for whoever it refuses (e.g. "pactum serve"). */
export async function openDatabase(
  options: { databaseUrl: string | null; ownerUrl?: string | null; dataDir: string; poolSize?: number },
  command = 'pactum',
): Promise<Database> {
  // ownerUrl: where owner sessions (migrations, audit verify) log in; the service URL when absent.
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10, { ownerUrl: options.ownerUrl ?? undefined })
    : openEmbeddedDataDir(options.dataDir, command);
}

/**
 * The embedded engine of a data directory, held exclusively until close: two processes writing one PGlite
 * directory overwrite each other's pages, silently losing acknowledged writes. Every command that opens a
 * data directory (serve, migrate, demo, audit verify, later backup and restore) comes through here.
 */
export async function openEmbeddedDataDir(dataDir: string, command: string): Promise<Database> {
  const lock = acquireDataDirLock(dataDir, { command });
  try {
    const database = await openEmbedded(join(dataDir, 'pglite'));
    return {
      ...database,
      async close() {
        try {
          await database.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * PGlite runs its backend as the superuser `postgres` whatever its `username` option says (that only sets
 * the current role, and RESET ROLE returns to postgres; docs/security.md), so it cannot log in as the app.
 * The next best: once migrations have created pactum_app, the session itself runs as it, so a statement
 * sent without context sees no tenant rows; owner sessions step out of it and back.
 */
const ASSUME_APP_ROLE_IF_MIGRATED = `SELECT set_config('role', '${APP_ROLE}', false) WHERE to_regrole('${APP_ROLE}') IS NOT NULL`;

/** PGlite in a directory, or in memory when dir is 'memory://'. */
export async function openEmbedded(dir: string): Promise<Database> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  // Loaded here, not at start: a node on a PostgreSQL server never needs the WebAssembly engine.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(dir, { parsers: { [DATE_OID]: (value: string) => value } });
  await pglite.query(ASSUME_APP_ROLE_IF_MIGRATED);
  const kysely = new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  return {
    engine: 'embedded',
    kysely,
    async withScriptSession(work) {
      // One connection, one process: nothing runs beside the migrations at start-up.
      await pglite.query('RESET ROLE');
      try {
        return await work({
          query: async <Row>(text: string, params?: unknown[]) => (await pglite.query<Row>(text, params)).rows,
          runInTransaction: async (script) => {
            await pglite.transaction(async (tx) => {
              await tx.exec(script);
            });
          },
        });
      } finally {
        await pglite.query(ASSUME_APP_ROLE_IF_MIGRATED);
      }
    },
    async readiness() {
      // In-process: nothing to reach, but a closed or broken instance must not read as ready.
      await sql`SELECT 1`.execute(kysely);
      return { replication: null, readOnly: false };
    },
    poolPressure() {
      return null;
    },
    dumpDataDir() {
      return pglite.dumpDataDir('gzip');
    },
    async close() {
      await kysely.destroy();
      await pglite.close();
    },
  };
}

const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A pool of `poolSize` connections for the service. Idle connections close after `idleTimeoutMillis` (0:
 * never), so a quiet node gives its connections back to the server. Owner sessions connect on their own
 * to `ownerUrl` (default: the service's URL).
 */
export async function openPostgres(
  connectionString: string,
  poolSize: number,
  options: { idleTimeoutMillis?: number; ownerUrl?: string } = {},
): Promise<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    // A runaway statement must not hold a pooled connection for ever.
    statement_timeout: 15_000,
    idle_in_transaction_session_timeout: 30_000,
    types: postgresTypes,
    // Every statement runs as pactum_app, whichever role the URL logs in as (in production: pactum_app
    // itself; `pactum serve` checks). The role is the session's default, so RESET ROLE comes back to it,
    // and a login that cannot become pactum_app cannot connect at all: isolation fails closed.
    options: `-c role=${APP_ROLE}`,
    // Statements sent without awaiting go out without waiting for earlier answers (src/db/postgres-dialect.ts).
    pipeline: true,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const kysely = new Kysely<Schema>({ dialect: new PipelinedPostgresDialect(pool) });
  const probe = createReadinessProbe(connectionString);
  return {
    engine: 'postgres',
    kysely,
    async withScriptSession(work) {
      const client = new pg.Client({
        connectionString: options.ownerUrl ?? connectionString,
        connectionTimeoutMillis: 5_000,
        types: postgresTypes,
      });
      // A broken connection fails the statement that was running; the event itself must not crash the process.
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        return await work({
          query: async <Row>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as Row[],
          runInTransaction: async (script) => {
            await client.query('BEGIN');
            try {
              // No parameters: node-postgres uses the simple protocol, which accepts many statements.
              await client.query(script);
              await client.query('COMMIT');
            } catch (error) {
              await client.query('ROLLBACK');
              throw error;
            }
          },
        });
      } finally {
        // Ending the session releases the advisory lock.
        await client.end();
      }
    },
    async readiness() {
      return probe.status();
    },
    poolPressure() {
      return { waiting: pool.waitingCount, total: pool.totalCount, idle: pool.idleCount };
    },
    async close() {
      await probe.close();
      await kysely.destroy();
      // Kysely ends the pool only if it ran a query itself.
      if (!pool.ended && !pool.ending) await pool.end();
    },
  };
}
