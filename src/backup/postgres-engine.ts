import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
import { collectDatabaseFacts, type DatabaseFacts, type Query } from './database-facts.js';

export class BackupEngineError extends Error {}

/**
 * The dump of a PostgreSQL database: `pg_dump -Fc` (compressed by pg_dump itself) streamed from its
 * stdout, taken in a snapshot exported by our own owner session, in which the row counts, checksums and
 * audit heads are computed too: manifest and dump describe the same instant.
 */
export interface RunningDump {
  stream: AsyncIterable<Buffer>;
  /** Resolves once pg_dump exited 0 and the facts are in; rejects with pg_dump's reason otherwise. */
  finish(): Promise<DatabaseFacts>;
  /** Stops everything (after a failure elsewhere). */
  abort(): void;
}

export async function startPostgresDump(ownerUrl: string): Promise<RunningDump> {
  const client = await connectOwner(ownerUrl);
  try {
    await requireBypassesRowSecurity(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const tool = await toolPath(client, 'pg_dump');
    const child = spawnTool(tool, ['--format=custom', `--snapshot=${rows[0]!.snapshot}`, '--no-password'], ownerUrl);
    const exited = exitOf(child, 'pg_dump');
    // Awaited by finish(); a run that failed elsewhere first (and killed pg_dump) never asks.
    exited.catch(() => {});
    // Runs beside the dump, in the same snapshot; the session stays open until both are done.
    const facts = collectDatabaseFacts(queryOf(client));
    facts.catch(() => {});
    const close = async () => {
      await client.query('COMMIT').catch(() => {});
      await client.end().catch(() => {});
    };
    return {
      stream: child.stdout,
      async finish() {
        try {
          await exited;
          return await facts;
        } finally {
          await close();
        }
      },
      abort() {
        child.kill('SIGKILL');
        void close();
      },
    };
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

/** Whether the database holds any table of ours (or anyone's) in the public schema. */
export async function postgresHasTables(ownerUrl: string): Promise<boolean> {
  const client = await connectOwner(ownerUrl);
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    );
    return rows[0]!.n > 0;
  } finally {
    await client.end();
  }
}

/**
 * Restores a pg_dump archive streamed in by `source` in ONE transaction: if the source fails (a segment
 * that does not authenticate, a cut-off archive), pg_restore is killed before its stdin ends, so its
 * transaction never commits and the database is left as it was. `replace`: drop the objects the backup
 * contains first (--clean). Objects are owned by the restoring role (--no-owner); the grants to
 * pactum_app are restored, so the role is created first if this server has never seen it.
 */
export async function restorePostgres(ownerUrl: string, source: AsyncIterable<Buffer>, options: { replace: boolean }): Promise<void> {
  const client = await connectOwner(ownerUrl);
  let tool: string;
  try {
    await requireBypassesRowSecurity(client);
    await client.query(PREPARE_APP_ROLE);
    tool = await toolPath(client, 'pg_restore');
  } finally {
    await client.end();
  }
  const args = ['--single-transaction', '--exit-on-error', '--no-owner', '--no-password'];
  if (options.replace) args.push('--clean', '--if-exists');
  const child = spawnTool(tool, args, ownerUrl);
  const exited = exitOf(child, 'pg_restore');
  exited.catch(() => {});
  child.stdin.on('error', () => {});
  try {
    for await (const chunk of source) {
      if (child.exitCode !== null) break;
      if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), exited]);
    }
  } catch (error) {
    // Killed before stdin ends: pg_restore must never see a clean end of a stream that failed.
    child.kill('SIGKILL');
    await exited.catch(() => {});
    throw error;
  }
  child.stdin.end();
  await exited;
}

/** The role and membership migration 0001 sets up, for a server that has not run it. */
const PREPARE_APP_ROLE = `DO $$
BEGIN
  IF to_regrole('pactum_app') IS NULL THEN
    CREATE ROLE pactum_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'pactum_app', 'MEMBER') THEN
    EXECUTE format('GRANT pactum_app TO %I', current_user);
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$`;

/**
 * A fresh, empty database on the same server for `backup verify`, dropped by the returned function
 * (the owner needs CREATEDB). Its name is random; nothing from input goes into SQL.
 */
export async function createScratchDatabase(ownerUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pactum_verify_${randomBytes(8).toString('hex')}`;
  const client = await connectOwner(ownerUrl);
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new BackupEngineError(
      `could not create a scratch database for the check (the owner role needs CREATEDB): ${(error as Error).message}`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const admin = await connectOwner(ownerUrl);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The facts of a database as it is now, in one snapshot. */
export async function postgresFacts(ownerUrl: string): Promise<DatabaseFacts> {
  const client = await connectOwner(ownerUrl);
  try {
    await requireBypassesRowSecurity(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const facts = await collectDatabaseFacts(queryOf(client));
    await client.query('COMMIT');
    return facts;
  } finally {
    await client.end();
  }
}

export async function connectOwner(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A lost connection fails the statement that was running; the event must not crash the process.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export const queryOf =
  (client: pg.Client): Query =>
  async <Row>(text: string, params?: unknown[]) =>
    (await client.query(text, params)).rows as Row[];

/** Row-level security would hide other tenants' rows: pg_dump refuses such a role, and so do we, first, in words. */
async function requireBypassesRowSecurity(client: pg.Client) {
  const { rows } = await client.query<{ name: string; bypasses: boolean }>(
    'SELECT current_user::text AS name, (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user',
  );
  if (!rows[0]?.bypasses)
    throw new BackupEngineError(
      `backups run as the database owner (PACTUM_MIGRATION_DATABASE_URL, a role that bypasses row-level security), not as ${rows[0]?.name ?? 'this role'}`,
    );
}

/** The server's own major version's tool if installed (Debian keeps each under /usr/lib/postgresql/N/bin), else PATH. */
async function toolPath(client: pg.Client, tool: 'pg_dump' | 'pg_restore'): Promise<string> {
  const { rows } = await client.query<{ major: number }>("SELECT current_setting('server_version_num')::int / 10000 AS major");
  const versioned = `/usr/lib/postgresql/${rows[0]!.major}/bin/${tool}`;
  return existsSync(versioned) ? versioned : tool;
}

/**
 * The password travels in PGPASSWORD, never on the command line (where `ps` shows it); the rest of the
 * URL is passed as --dbname.
 */
function spawnTool(tool: string, args: string[], url: string): ChildProcessWithoutNullStreams {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  // libpq's own variables for the child (not Pactum configuration): an inherited password is dropped.
  const { PGPASSWORD: _inherited, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, PGCONNECT_TIMEOUT: '10', ...(password ? { PGPASSWORD: password } : {}) };
  return spawn(tool, [...args, `--dbname=${parsed.href}`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves when the tool exits 0; rejects with the first line of what it said on stderr otherwise. */
function exitOf(child: ChildProcessWithoutNullStreams, tool: string): Promise<void> {
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new BackupEngineError(`${tool} could not be started: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const reason = stderr.split('\n').find((line) => line.trim() !== '') ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new BackupEngineError(`${tool} failed: ${reason.replace(/^(pg_dump|pg_restore): /, '')}`));
    });
  });
}
