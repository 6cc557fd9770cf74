/**
 * Dashboard benchmark: how long GET /api/v1/dashboard takes for the demo company (`pactum demo`).
 *
 *   PACTUM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:dashboard
 *   npm run bench:dashboard          # embedded PGlite in memory
 *
 * Creates the demo company exactly as `pactum demo` does (src/demo.ts) in a fresh database (on the server:
 * `pactum_bench_<random>`, dropped at the end), gives its master a live session, and asks the real app
 * (`buildApp`, in process through `app.inject`, so no network and no client cost is measured) for the
 * dashboard one request at a time: 50 warm-up requests, then 5 rounds of 200, reporting per round the
 * median and p95 latency; the RESULT line gives the medians of the rounds. For comparison the same rounds
 * are run on GET /api/v1/contracts (one page of 50, the hottest list), so the figure reads as a ratio on
 * whatever machine it runs. A measurement, not a gate: the exit code is 0 unless a request failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openEmbedded, openPostgres, type Database } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';
import { inTenant } from '../src/db/tenant-context.js';
import { createDemoCompany, DEMO_EMAIL } from '../src/demo.js';
import { buildApp } from '../src/http/app.js';
import { insertSession } from '../src/identity/queries.js';
import { newSecretToken } from '../src/identity/secret-tokens.js';
import { runBenchmark } from './run.js';

const WARM_UP = 50;
const ROUNDS = 5;
const PER_ROUND = 200;
const serverUrl = process.env.PACTUM_BENCH_DATABASE_URL || null;
const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<number> {
  const database = await openBenchDatabase();
  const demo = await createDemoCompany(database);
  if (!demo) throw new Error('the demo company exists already in a fresh database');
  const [master] = await database.withScriptSession((session) =>
    session.query<{ id: string; tenant_id: string }>('SELECT id, tenant_id FROM users WHERE email = $1', [DEMO_EMAIL]),
  );
  const { token, tokenHash } = newSecretToken();
  await inTenant(database.kysely, { tenantId: master!.tenant_id, userId: master!.id }, (tx) =>
    insertSession(tx, { userId: master!.id, tokenHash, absoluteSeconds: 3600, clientIp: '127.0.0.1', userAgent: 'pactum-bench' }),
  );

  const config = loadConfig({
    PACTUM_PUBLIC_URL: 'http://localhost:3000',
    PACTUM_DATA_DIR: mkdtempSync(join(tmpdir(), 'pactum-bench-')),
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_LOG_LEVEL: 'warn',
    PACTUM_RATE_LIMIT_PER_MINUTE: '1000000',
    // One request at a time measures latency, not overload: a busy shared machine must not shed them.
    PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
    PACTUM_MAX_HEAP_USED_MB: '0',
    PACTUM_MAX_RSS_MB: '0',
    PACTUM_MAX_POOL_WAITING: '0',
  });
  const app = await buildApp({ config, database, logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  cleanups.push(() => app.close());
  await app.ready();
  const headers = { cookie: `pactum_session=${token}` };

  const timeRequests = async (url: string, count: number) => {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const response = await app.inject({ method: 'GET', url, headers });
      latencies.push(performance.now() - start);
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body}`);
    }
    return latencies;
  };

  const sample = (await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers })).json();
  console.log(
    `Dashboard benchmark — ${serverUrl ? 'PostgreSQL (pool 10)' : 'embedded PGlite (memory)'}, ${cpus().length} vCPU, node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n` +
      `demo company: ${demo.vault.vendors} vendors, ${demo.vault.products} products, ${demo.vault.contracts} contracts, ` +
      `${demo.vault.proposals} proposals; dashboard answer ${JSON.stringify(sample).length} bytes, ` +
      `${sample.spendByVendor.length} spend entries, ${sample.nextDeadlines.length} deadlines, ${sample.pendingProposals.length} pending proposals\n`,
  );
  const routes = { dashboard: '/api/v1/dashboard', list: '/api/v1/contracts?limit=50' };
  for (const url of Object.values(routes)) await timeRequests(url, WARM_UP);
  const medians: Record<keyof typeof routes, number[]> = { dashboard: [], list: [] };
  const p95s: Record<keyof typeof routes, number[]> = { dashboard: [], list: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // Interleaved, so that a change in machine load hits both alike.
    for (const [name, url] of Object.entries(routes) as Array<[keyof typeof routes, string]>) {
      const latencies = await timeRequests(url, PER_ROUND);
      medians[name].push(percentile(latencies, 50));
      p95s[name].push(percentile(latencies, 95));
      console.log(`round ${round} ${name.padEnd(9)} p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms`);
    }
  }
  const dashboard = percentile(medians.dashboard, 50);
  const list = percentile(medians.list, 50);
  console.log(
    `RESULT dashboard p50 ${fmt(dashboard)} ms (p95 ${fmt(percentile(p95s.dashboard, 50))} ms); ` +
      `contract list page p50 ${fmt(list)} ms (p95 ${fmt(percentile(p95s.list, 50))} ms); dashboard/list ${fmt(dashboard / list, 2)}`,
  );
  return 0;
}

/** PGlite in memory, or a fresh database on PACTUM_BENCH_DATABASE_URL's server, dropped at the end. */
async function openBenchDatabase(): Promise<Database> {
  if (!serverUrl) {
    const database = await openEmbedded('memory://');
    cleanups.push(() => database.close());
    await migrate(database);
    return database;
  }
  const name = `pactum_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openPostgres(url.href, 10);
  cleanups.push(() => database.close());
  await migrate(database);
  return database;
}

async function withAdmin(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl! });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error('clean-up failed:', error);
    }
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);

await runBenchmark(main, cleanUp);
