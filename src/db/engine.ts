import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import { BatchingPostgresDialect } from './postgres-dialect.js';
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
  kysely: Kysely<Schema>;
  /** Exclusive session for migrations (a PostgreSQL advisory lock keeps concurrent nodes in turn). */
  withScriptSession<T>(work: (session: ScriptSession) => Promise<T>): Promise<T>;
  /**
   * Whether the database answers, and how far standbys lag (null without replication reporting). Asked
   * over a connection of its own with short timeouts, never through the request pool, so a saturated pool
   * does not read as an unreachable database; throws when the database cannot be reached.
   */
  readiness(): Promise<{ replication: Replication | null }>;
  /** The request pool's counters (node-postgres' public ones); null on the embedded engine. */
  poolPressure(): PoolPressure | null;
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

// DATE columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone.
const DATE_OID = 1082;

/** `command` names the caller in the data-directory lock, for whoever it refuses (e.g. "pactum serve"). */
export async function openDatabase(options: { databaseUrl: string | null; dataDir: string; poolSize?: number }, command = 'pactum'): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
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

/** PGlite in a directory, or in memory when dir is 'memory://'. */
export async function openEmbedded(dir: string): Promise<Database> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, { parsers: { [DATE_OID]: (value: string) => value } });
  const kysely = new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  return {
    engine: 'embedded',
    kysely,
    async withScriptSession(work) {
      // One connection, one process: nothing runs beside the migrations at start-up.
      return work({
        query: async <Row>(text: string, params?: unknown[]) => (await pglite.query<Row>(text, params)).rows,
        runInTransaction: async (script) => {
          await pglite.transaction(async (tx) => {
            await tx.exec(script);
          });
        },
      });
    },
    async readiness() {
      // In-process: nothing to reach, but a closed or broken instance must not read as ready.
      await sql`SELECT 1`.execute(kysely);
      return { replication: null };
    },
    poolPressure() {
      return null;
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
 * A pool of `poolSize` connections. Idle connections close after `idleTimeoutMillis` (0: never), so a
 * quiet node gives its connections back to the server.
 */
export async function openPostgres(connectionString: string, poolSize: number, options: { idleTimeoutMillis?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    // A runaway statement must not hold a pooled connection for ever.
    statement_timeout: 15_000,
    idle_in_transaction_session_timeout: 30_000,
    types: postgresTypes,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const kysely = new Kysely<Schema>({ dialect: new BatchingPostgresDialect({ pool, types: postgresTypes }) });
  const probe = createReadinessProbe(connectionString);
  return {
    engine: 'postgres',
    kysely,
    async withScriptSession(work) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
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
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release();
      }
    },
    async readiness() {
      return { replication: await probe.replication() };
    },
    poolPressure() {
      return { waiting: pool.waitingCount, total: pool.totalCount, idle: pool.idleCount };
    },
    async close() {
      await probe.close();
      await kysely.destroy();
      // Kysely ends the pool only if it ran a query itself; migrations use the pool directly.
      if (!pool.ended) await pool.end();
    },
  };
}
