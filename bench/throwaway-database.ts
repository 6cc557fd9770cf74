/**
 * A migrated database of its own for one benchmark run, on the PostgreSQL server at `adminUrl`: created
 * under a random name, migrated as its owner, opened as pactum_app (the role a serving node logs in as;
 * the server trusts loopback, so no password), and dropped again by `drop()`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { APP_ROLE, openPostgres, type Database } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';

export interface ThrowawayDatabase {
  /** pactum_app's URL: what a serving node is given. */
  appUrl: string;
  ownerUrl: string;
  /** Open as pactum_app, `poolSize` connections. */
  database: Database;
  /** Closes `database` and drops the database, ending any session still on it. */
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createThrowawayDatabase(adminUrl: string, prefix: string, poolSize: number): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
  let database: Database | undefined;
  const drop = async () => {
    await database?.close().catch(() => {});
    await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    const ownerUrl = new URL(adminUrl);
    ownerUrl.pathname = `/${name}`;
    const appUrl = new URL(ownerUrl);
    appUrl.username = APP_ROLE;
    appUrl.password = '';
    database = await openPostgres(appUrl.href, poolSize, { ownerUrl: ownerUrl.href });
    await migrate(database);
    return { appUrl: appUrl.href, ownerUrl: ownerUrl.href, database, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}
