import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 cluster of the drill's own, in a temporary directory on a free loopback port below
 * the ephemeral range: drills stop, kill and restart it, which must never happen to the shared server
 * on 5432. initdb refuses root, so the server runs as `postgres`.
 */
export interface Cluster {
  port: number;
  /** Connection string as the superuser, to `database` (default the drills' `pactum`). */
  url(database?: string, user?: string): string;
  /** Runs SQL as the superuser in the `postgres` database (never one of the app's backends). */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Resolves once the server accepts connections again, with the moment it first did. */
  waitAccepting(timeoutMs?: number): Promise<number>;
  destroy(): Promise<void>;
}

async function asPostgres(command: string, args: string[]) {
  return run('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { timeout: 120_000 });
}

/** A port nobody listens on now, in 20000–32767. */
export async function freePort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_700);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port === candidate));
      });
    });
    if (free) return candidate;
  }
}

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-drill-pg-'));
  const dataDir = join(dir, 'data');
  chownSync(dir, idOf('-u', 'postgres'), idOf('-g', 'postgres'));
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = () =>
    asPostgres('pg_ctl', ['-w', '-t', '60', '-D', dataDir, '-l', join(dir, 'server.log'), '-o', options, 'start']).then(() => undefined);
  await start();
  const url = (database = 'pactum', user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`;
  const query = async <Row>(text: string, params?: unknown[]) => {
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(text, params)).rows as Row[];
    } finally {
      await client.end().catch(() => {});
    }
  };
  await query('CREATE DATABASE pactum');
  let stopped = false;
  return {
    port,
    url,
    query,
    async stop(mode = 'fast') {
      await asPostgres('pg_ctl', ['-w', '-D', dataDir, '-m', mode, 'stop']);
      stopped = true;
    },
    async start() {
      await start();
      stopped = false;
    },
    async waitAccepting(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        try {
          await query('SELECT 1');
          return Date.now();
        } catch (error) {
          if (Date.now() > until) throw error;
          await sleep(20);
        }
      }
    },
    async destroy() {
      if (!stopped) await asPostgres('pg_ctl', ['-w', '-D', dataDir, '-m', 'immediate', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's user owns the cluster's directory; a one-off lookup at setup. */
function idOf(flag: '-u' | '-g', user: string): number {
  return Number(String(execFileSync('id', [flag, user])).trim());
}
