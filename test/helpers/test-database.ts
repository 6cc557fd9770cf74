import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import pg from 'pg';
import { APP_ROLE, openEmbedded, openPostgres, type Database } from '../../src/db/engine.js';
import { migrate } from '../../src/db/migrate.js';
import { PipelinedPostgresDialect } from '../../src/db/postgres-dialect.js';
import type { Schema } from '../../src/db/schema.js';

/**
 * The engine under test: embedded PGlite in memory by default, a fresh database on a real PostgreSQL
 * server when PACTUM_TEST_DATABASE_URL is set (CI runs the suite both ways).
 */
export const serverUrl = process.env.PACTUM_TEST_DATABASE_URL || null;
export const engineName = serverUrl ? 'postgres' : 'embedded';

export interface TestDatabase {
  /** The service's database: on a server its pool logs in as pactum_app, as in production. */
  database: Database;
  /** Connection string of the fresh database as its owner (server engine only), for owner-level checks. */
  url: string | null;
  /** The same database as the service logs in to it, as pactum_app (server engine only). */
  appUrl: string | null;
  /**
   * Kysely whose transactions may act as the owner: on a server it logs in as the owner; embedded, it is
   * the service's own (PGlite's session user is the superuser), so a transaction steps out of pactum_app
   * with SET LOCAL ROLE NONE first.
   */
  owner: Kysely<Schema>;
  /** Runs SQL as the owner (superuser), bypassing RLS: for arranging time travel and for inspection. */
  asOwner<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) {
    const database = await openEmbedded('memory://');
    await migrate(database);
    return {
      database,
      url: null,
      appUrl: null,
      owner: database.kysely,
      asOwner: (text, params) => database.withScriptSession((session) => session.query(text, params)),
      drop: () => database.close(),
    };
  }
  const name = `pactum_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const ownerUrl = new URL(serverUrl);
  ownerUrl.pathname = `/${name}`;
  // The server here trusts loopback connections, so pactum_app needs no password.
  const appUrl = new URL(ownerUrl);
  appUrl.username = APP_ROLE;
  appUrl.password = '';
  const database = await openPostgres(appUrl.href, 5, { ownerUrl: ownerUrl.href });
  await migrate(database);
  const owner = new pg.Pool({ connectionString: ownerUrl.href, max: 2 });
  // DROP DATABASE … WITH (FORCE) ends lingering connections; that is expected, not a crash.
  owner.on('error', () => {});
  const ownerPool = new pg.Pool({ connectionString: ownerUrl.href, max: 2, pipeline: true });
  ownerPool.on('error', () => {});
  const ownerKysely = new Kysely<Schema>({ dialect: new PipelinedPostgresDialect(ownerPool) });
  return {
    database,
    url: ownerUrl.href,
    appUrl: appUrl.href,
    owner: ownerKysely,
    asOwner: async (text, params) => (await owner.query(text, params)).rows,
    drop: async () => {
      await database.close();
      await owner.end();
      await ownerKysely.destroy();
      if (!ownerPool.ended) await ownerPool.end();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin(work: (client: pg.Client) => Promise<unknown>) {
  const client = new pg.Client({ connectionString: serverUrl! });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
