/**
 * Fairness benchmark: while one company floods the service with heavy requests, how long does another
 * company's `GET /api/v1/me` take?
 *
 *   npm run bench:fairness                       # PostgreSQL on 127.0.0.1:5432 (PACTUM_BENCH_DATABASE_URL)
 *   PACTUM_BENCH_HEAVY=contracts npm run bench:fairness
 *
 * Seeds tenant A with 100,000 line items of one product (200 contracts × 500 items) and tenant B with one
 * user. Then, per configuration of the app (fairness off: PACTUM_TENANT_CONCURRENCY very high; fairness
 * on: the defaults), one phase with B alone and one with A's 12 parallel heavy requests
 * (`GET /api/v1/products/{id}/price-history?limit=500`, or the contract list with limit=500) beside B's
 * `GET /api/v1/me`. The clients run in worker threads (node:http, keep-alive, bodies drained unread), so
 * the app's event loop carries only the app; all share the machine's CPUs with PostgreSQL. Target: B's
 * p99 under 300 ms during the flood. A measurement, not a gate: the exit code is 0 either way.
 * See bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Database } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';
import { inTenant } from '../src/db/tenant-context.js';
import { buildApp } from '../src/http/app.js';
import * as queries from '../src/identity/queries.js';
import { startSession } from '../src/identity/sessions.js';
import { runBenchmark } from './run.js';

const serverUrl = process.env.PACTUM_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const heavy = process.env.PACTUM_BENCH_HEAVY === 'contracts' ? 'contracts' : 'price-history';
const FLOODERS = 12;
const CONTRACTS = 200;
const ITEMS_PER_CONTRACT = 500;
const IDLE_MS = 8_000;
const FLOOD_MS = 20_000;
const TARGET_P99_MS = 300;
const PUBLIC_URL = 'http://localhost:3000';

const CONFIGURATIONS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'fairness off (PACTUM_TENANT_CONCURRENCY=10000)', env: { PACTUM_TENANT_CONCURRENCY: '10000' } },
  { name: 'fairness on (defaults)', env: {} },
];

const cleanups: Array<() => Promise<unknown>> = [];

interface Seeded {
  databaseUrl: string;
  aCookie: string;
  bCookie: string;
  productId: string;
}

interface ClientReport {
  latencies: number[];
  statuses: Record<string, number>;
  bytes: number;
}

async function main(): Promise<number> {
  const seeded = await seed();
  console.log(
    `Pactum fairness benchmark — PostgreSQL (pool 10), node ${process.version}, ${availableParallelism()} vCPU ` +
      `(${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(`tenant A: ${CONTRACTS * ITEMS_PER_CONTRACT} line items of one product; heavy request: ${heavyPath(seeded)}\n`);
  const lines: string[] = [];
  for (const configuration of CONFIGURATIONS) {
    const database = await openPostgres(seeded.databaseUrl, 10);
    const app = await buildApp({
      config: benchConfig(configuration.env),
      database,
      logStream: new Writable({ write: (_c, _e, done) => done() }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      console.log(configuration.name);
      // Warm: the cache, the pool, each session's tenant.
      await Promise.all([
        runClients(base, heavyPath(seeded), seeded.aCookie, 2, 2_000),
        runClients(base, '/api/v1/me', seeded.bCookie, 1, 1_000),
      ]);
      const idle = await runClients(base, '/api/v1/me', seeded.bCookie, 2, IDLE_MS);
      console.log(`  B alone            ${summary(idle)}`);
      const [flood, me] = await Promise.all([
        runClients(base, heavyPath(seeded), seeded.aCookie, FLOODERS, FLOOD_MS),
        runClients(base, '/api/v1/me', seeded.bCookie, 2, FLOOD_MS),
      ]);
      console.log(`  B during A's flood ${summary(me)}`);
      console.log(
        `  A's ${FLOODERS} flooders  ${summary(flood)}, ${(flood.bytes / flood.latencies.length / 1024).toFixed(0)} KiB per answer`,
      );
      const p99 = percentile(me.latencies, 99);
      lines.push(
        `RESULT ${configuration.name}: B /me p99 ${p99.toFixed(1)} ms alone ${percentile(idle.latencies, 99).toFixed(1)} ms; ` +
          `A ${(flood.latencies.length / (FLOOD_MS / 1000)).toFixed(1)} answers/s — target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS && only200(me) ? 'PASS' : 'MISS'}`,
      );
    } finally {
      await app.close();
      await database.close();
    }
  }
  console.log(`\n${lines.join('\n')}`);
  return 0;
}

function heavyPath(seeded: Seeded): string {
  return heavy === 'contracts' ? '/api/v1/contracts?limit=500' : `/api/v1/products/${seeded.productId}/price-history?limit=500`;
}

function benchConfig(env: Record<string, string>) {
  return loadConfig({
    PACTUM_PUBLIC_URL: PUBLIC_URL,
    PACTUM_DATA_DIR: join(tmpdir(), 'pactum-bench-unused'),
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_LOG_LEVEL: 'warn',
    PACTUM_RATE_LIMIT_PER_MINUTE: '10000000',
    // Measure fairness, not shedding: the event-loop guard would answer 503 to both tenants alike.
    PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
}

/** A fresh database with tenant A (the flood's line items) and tenant B, and one session each. */
async function seed(): Promise<Seeded> {
  const name = `pactum_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openPostgres(url.href, 2);
  try {
    await migrate(database);
    const a = await seedCompany(database, 'A');
    const b = await seedCompany(database, 'B');
    const productId = randomUUID();
    const started = Date.now();
    await withAdmin(url.href, async (owner) => {
      const vendorId = randomUUID();
      await owner.query(`INSERT INTO vendors (tenant_id, id, name) VALUES ($1, $2, 'Flood Vendor')`, [a.tenantId, vendorId]);
      await owner.query(`INSERT INTO products (tenant_id, id, vendor_id, name, metric) VALUES ($1, $2, $3, 'Flood Product', 'user')`, [
        a.tenantId,
        productId,
        vendorId,
      ]);
      await owner.query(
        `INSERT INTO contracts (tenant_id, vendor_id, kind, title, status, starts_on, currency, manager_id)
         SELECT $1, $2, 'contract', 'Contract ' || n, 'active', date '2020-01-01' + n, 'EUR', $3 FROM generate_series(1, $4::integer) n`,
        [a.tenantId, vendorId, a.userId, CONTRACTS],
      );
      await owner.query(
        `INSERT INTO line_items (tenant_id, contract_id, position, product_id, quantity, block_size, list_unit_price, net_unit_price)
         SELECT c.tenant_id, c.id, p, $2, 10 + p, 1, 40, 30 + p % 7 FROM contracts c, generate_series(0, $3::integer - 1) p WHERE c.tenant_id = $1`,
        [a.tenantId, productId, ITEMS_PER_CONTRACT],
      );
      await owner.query('ANALYZE');
    });
    console.log(`seeded ${CONTRACTS * ITEMS_PER_CONTRACT} line items in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { databaseUrl: url.href, aCookie: a.token, bCookie: b.token, productId };
  } finally {
    await database.close();
  }
}

async function seedCompany(database: Database, label: string) {
  const tenantId = randomUUID();
  return inTenant(database.kysely, { tenantId, userId: null }, async (tx) => {
    await queries.insertTenant(tx, { id: tenantId, name: `Tenant ${label} AG` });
    const email = `bench.${label.toLowerCase()}.${randomBytes(3).toString('hex')}@bench.pactum.example`;
    const user = await queries.insertUser(tx, {
      name: `User ${label}`,
      email,
      phoneE164: `+4179${String(3_000_000 + label.charCodeAt(0))}`,
      phoneCountry: 'CH',
      passwordHash: null,
      role: 'master',
      status: 'pending',
    });
    if (!(await queries.claimEmail(tx, email, user.id))) throw new Error(`seed e-mail ${email} is taken`);
    await queries.activateSignup(tx, user.id);
    const { token } = await startSession(tx, user.id, { ip: null, userAgent: 'bench' });
    return { tenantId, userId: user.id, token };
  });
}

/** `concurrency` keep-alive clients in a worker thread, each sending `path` again and again for `ms`. */
function runClients(base: string, path: string, cookie: string, concurrency: number, ms: number): Promise<ClientReport> {
  const worker = new Worker(CLIENT_SOURCE, {
    eval: true,
    workerData: { url: base + path, cookie: `pactum_session=${cookie}`, concurrency, ms },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (report: ClientReport) => resolve(report));
    worker.once('error', reject);
  });
}

const CLIENT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.concurrency });
const report = { latencies: [], statuses: {}, bytes: 0 };
const until = performance.now() + workerData.ms;
function once() {
  return new Promise((resolve) => {
    const started = performance.now();
    const request = http.get(workerData.url, { agent, headers: { cookie: workerData.cookie } }, (response) => {
      response.on('data', (chunk) => { report.bytes += chunk.length; });
      response.on('end', () => {
        report.latencies.push(performance.now() - started);
        report.statuses[response.statusCode] = (report.statuses[response.statusCode] || 0) + 1;
        resolve();
      });
    });
    request.on('error', (error) => { report.statuses[error.code || 'error'] = (report.statuses[error.code || 'error'] || 0) + 1; resolve(); });
  });
}
async function client() { while (performance.now() < until) await once(); }
Promise.all(Array.from({ length: workerData.concurrency }, client)).then(() => { agent.destroy(); parentPort.postMessage(report); });
`;

function summary(report: ClientReport): string {
  const l = report.latencies;
  return `${l.length} answers, p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${Math.max(0, ...l).toFixed(1)} ms, statuses ${JSON.stringify(report.statuses)}`;
}

const only200 = (report: ClientReport) => Object.keys(report.statuses).every((status) => status === '200');

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function withAdmin(connectionString: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString });
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

await runBenchmark(main, cleanUp);
