import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../drills/support/cluster.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/** The standby's name on the primary: application_name in its primary_conninfo, and its replication slot. */
export const STANDBY_NAME = 'pactum_standby';

/**
 * One PostgreSQL 15 server of the pair. The steps below are those of docs/operations.md ("Replication"),
 * run with the machine's binaries as `postgres` (initdb refuses root), on free loopback ports below the
 * ephemeral range, in a temporary directory: never the shared server on 5432.
 */
export interface Server {
  port: number;
  dataDir: string;
  /** Connection string to `database` (default the drill's `pactum`) as `user` (default the superuser). */
  url(database?: string, user?: string): string;
  /** SQL as the superuser in the `postgres` database. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

export interface StreamingPair {
  primary: Server;
  standby: Server;
  /** The primary's postmaster and every one of its processes, SIGKILLed at once: the machine is gone. */
  killPrimary(): Promise<void>;
  /** `pg_ctl promote -w` on the standby; resolves once it accepts writes, with how long pg_ctl took (ms). */
  promoteStandby(): Promise<{ pgCtlMs: number }>;
  destroy(): Promise<void>;
}

async function asPostgres(command: string, args: string[]) {
  const running = run('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { timeout: 120_000 });
  // Stdin closed: nothing may wait for a password that no one types.
  running.child.stdin?.end();
  await running;
}

function server(port: number, dataDir: string): Server {
  const url = (database = 'pactum', user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    url,
    async query<Row>(text: string, params?: unknown[]) {
      const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query(text, params)).rows as Row[];
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

const start = (dataDir: string, log: string) => asPostgres('pg_ctl', ['-w', '-t', '60', '-D', dataDir, '-l', log, 'start']);

/**
 * A primary with a streaming standby (docs/operations.md, steps 1–4); with `synchronous`, commits wait
 * until the standby has applied them (step 5).
 */
export async function startStreamingPair(options: { synchronous: boolean }): Promise<StreamingPair> {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-replication-'));
  chownSync(dir, idOf('-u', 'postgres'), idOf('-g', 'postgres'));
  const primaryDir = join(dir, 'primary');
  const standbyDir = join(dir, 'standby');
  const primaryPort = await freePort();
  let standbyPort = await freePort();
  while (standbyPort === primaryPort) standbyPort = await freePort();
  const primary = server(primaryPort, primaryDir);
  const standby = server(standbyPort, standbyDir);
  let primaryRunning = false;
  let standbyRunning = false;

  const stop = (dataDir: string) =>
    // A server a failed stop leaves running would keep its port: kill what its pid file names.
    asPostgres('pg_ctl', ['-w', '-D', dataDir, '-m', 'immediate', 'stop']).catch(() => killCluster(dataDir));
  const destroy = async () => {
    if (standbyRunning) await stop(standbyDir);
    if (primaryRunning) await stop(primaryDir);
    standbyRunning = primaryRunning = false;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Step 1: the primary. Trust lines for loopback come first in pg_hba.conf (a production primary uses
    // scram-sha-256 for the replication role over the network).
    await asPostgres('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--data-checksums']);
    writeFileSync(
      join(primaryDir, 'pg_hba.conf'),
      [
        'host  replication  replicator  127.0.0.1/32  trust',
        'host  all          all         127.0.0.1/32  trust',
        'local all          all                       trust',
        '',
      ].join('\n'),
    );
    appendFileSync(
      join(primaryDir, 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        `port = ${primaryPort}`,
        `unix_socket_directories = '${dir}'`,
        'wal_level = replica',
        'max_wal_senders = 10',
        'max_replication_slots = 10',
        "max_slot_wal_keep_size = '10GB'",
        '',
      ].join('\n'),
    );
    await start(primaryDir, join(dir, 'primary.log'));
    primaryRunning = true;
    await primary.query('CREATE ROLE replicator WITH REPLICATION LOGIN');
    await primary.query('CREATE DATABASE pactum');

    // Step 2: the standby from a base backup, with its replication slot and primary_conninfo (-R).
    // -w and a closed stdin: a password prompt without a terminal would loop, opening connections.
    await asPostgres('pg_basebackup', [
      '-d',
      `host=127.0.0.1 port=${primaryPort} user=replicator application_name=${STANDBY_NAME}`,
      '-D',
      standbyDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '-C',
      '-S',
      STANDBY_NAME,
      '-w',
    ]);
    // Step 3: its own port (both run on one machine here) and a short WAL retry interval (a promotion that
    // arrives as the primary's stream breaks waits out one interval: 5 s by default), then start it:
    // standby.signal makes it one.
    appendFileSync(join(standbyDir, 'postgresql.conf'), `\nport = ${standbyPort}\nwal_retrieve_retry_interval = '1s'\n`);
    await start(standbyDir, join(dir, 'standby.log'));
    standbyRunning = true;

    // Step 4: the primary sees it streaming.
    await waitFor(primary, `SELECT 1 FROM pg_stat_replication WHERE application_name = '${STANDBY_NAME}' AND state = 'streaming'`);

    if (options.synchronous) {
      // Step 5: a commit returns only once the standby has applied it, so a promoted standby has every
      // acknowledged write, and reads there see it at once. Set after the base backup: a standby must not
      // inherit synchronous_standby_names, or once promoted alone its own commits would wait for ever.
      await primary.query(`ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (${STANDBY_NAME})'`);
      await primary.query(`ALTER SYSTEM SET synchronous_commit = 'remote_apply'`);
      await primary.query('SELECT pg_reload_conf()');
      await waitFor(primary, `SELECT 1 FROM pg_stat_replication WHERE application_name = '${STANDBY_NAME}' AND sync_state = 'sync'`);
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    primary,
    standby,
    async killPrimary() {
      killCluster(primaryDir);
      primaryRunning = false;
    },
    async promoteStandby() {
      // Step 7 (failover): promote. `SELECT pg_promote()` as a superuser does the same over a connection.
      const started = Date.now();
      await asPostgres('pg_ctl', ['promote', '-w', '-t', '60', '-D', standbyDir]);
      const pgCtlMs = Date.now() - started;
      await waitFor(standby, 'SELECT 1 WHERE NOT pg_is_in_recovery()');
      return { pgCtlMs };
    },
    destroy,
  };
}

/** SIGKILL to the postmaster named in the data directory's pid file and to all its children at once. */
function killCluster(dataDir: string) {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  // A stale pid file may name a pid since reused by another process: only a postgres process is killed.
  if (!Number.isInteger(postmaster) || postmaster <= 1 || !isPostgres(postmaster)) return;
  let children: number[] = [];
  try {
    children = String(execFileSync('pgrep', ['-P', String(postmaster)]))
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when there is no child
  }
  for (const pid of [postmaster, ...children.filter(isPostgres)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}

async function waitFor(target: Server, sql: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await target.query(sql)).length > 0) return;
    } catch (error) {
      if (Date.now() > until) throw error;
    }
    if (Date.now() > until) throw new Error(`not true within ${timeoutMs} ms on port ${target.port}: ${sql}`);
    await sleep(50);
  }
}

function idOf(flag: '-u' | '-g', user: string): number {
  return Number(String(execFileSync('id', [flag, user])).trim());
}
