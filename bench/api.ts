/**
 * API benchmark: the cost of the app and of row-level security on the contract list.
 *
 *   npm run bench:api                               # 1,000 tenants × 1,000 contracts × 5 line items
 *   PACTUM_BENCH_SCALE=small npm run bench:api      # 100 × 100 × 5, a quick check
 *
 * Needs a PostgreSQL server: PACTUM_BENCH_DATABASE_URL is an admin URL (default
 * postgres://postgres@127.0.0.1:5432/postgres); a fresh database is created, migrated, seeded
 * set-based (bench/api-seed.ts) and dropped at the end unless PACTUM_BENCH_KEEP=1.
 *
 * Three phases, the same page of 50 contracts with line-item totals for a random tenant per request,
 * CONCURRENCY clients, pools of POOL_SIZE, interleaved rounds of a fixed duration, median of ROUNDS:
 *   (a) GET /api/v1/contracts through the full app over real HTTP (clients in another process: wrk if
 *       installed, bench/api-wrk.ts, else node:http clients, bench/api-http-load.ts);
 *   (b) the same SQL text and parameters the app's query function (listContractViews) sends, compiled
 *       once as in (c), in the transaction a scoped read runs in — logged in as pactum_app, tenant and user
 *       settings where the app has its session check, then READ ONLY (readInTenant) — without Fastify,
 *       without the session lookup and without building the query;
 *   (c) the same SQL text as the owner, no role, no settings, no transaction, with an explicit tenant filter.
 *   (h) for reference only: the same app serving the same page from memory — the same route options and
 *       hooks, no database — which shows what HTTP, Fastify, logging and serialisation cost on their own;
 *   (s) for reference only: (b) through the app's session guard (withSession.scoped) instead of
 *       readInTenant — the SQL the app sends for this request, session check included, without HTTP.
 * Targets: a/b ≥ 0.6 (what the app adds) and b/c ≥ 0.8 (what isolation costs). The cache is warmed first.
 * Each round also reports round trips to PostgreSQL per request (statements pipelined behind one in flight
 * ride along; a scoped read's COMMIT, which nobody waits for, counts as one)
 * and CPU per request: this process (the app, or the
 * in-process loops of b and c), the HTTP clients, and the PostgreSQL backends of the bench database (from
 * /proc, so only for a server on this machine).
 * Results go to stdout and to the "API" section of bench/README.md. Exits 0 unless a request failed.
 *
 * Other settings: PACTUM_BENCH_SECONDS (per round; 10, small scale 4), PACTUM_BENCH_HTTP_CLIENT (wrk, the
 * default when installed; http, the default otherwise; or fetch), PACTUM_LOG_LEVEL (the app's, default info as in production; logs are discarded),
 * PACTUM_BENCH_EXPLAIN=1 (print EXPLAIN ANALYZE of the list query as pactum_app and as the owner),
 * PACTUM_BENCH_CPU_PROFILE=dir (a .cpuprofile of this process per measured round, e.g. a-1.cpuprofile).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { FastifyRequest } from 'fastify';
import { Session } from 'node:inspector/promises';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type Driver } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { listContractViews } from '../src/contracts/queries.js';
import { ContractList } from '../src/contracts/schemas.js';
import { APP_ROLE, openPostgres, type Database } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';
import { PipelinedPostgresDialect } from '../src/db/postgres-dialect.js';
import type { Schema } from '../src/db/schema.js';
import { inTenant, readInTenant } from '../src/db/tenant-context.js';
import { buildApp } from '../src/http/app.js';
import { createSessionCookies, createSessionGuard } from '../src/identity/sessions.js';
import { countRoundTrips } from '../test/helpers/round-trips.js';
import type { HttpClient, LoadRequest, LoadResult } from './api-http-load.js';
import { runWrk, wrkInstalled } from './api-wrk.js';
import { seed, type BenchTenant, type SeedScale } from './api-seed.js';
import { runBenchmark } from './run.js';

const SCALES: Record<string, SeedScale> = {
  full: { tenants: 1000, contractsPerTenant: 1000, lineItemsPerContract: 5 },
  small: { tenants: 100, contractsPerTenant: 100, lineItemsPerContract: 5 },
};
const scaleName = process.env.PACTUM_BENCH_SCALE || 'full';
const CONCURRENCY = 32;
const POOL_SIZE = 10;
const ROUNDS = 5;
const PAGE = 50;
const ROUND_SECONDS = Number(process.env.PACTUM_BENCH_SECONDS) || (scaleName === 'small' ? 4 : 10);
const TARGET_AB = 0.6;
const TARGET_BC = 0.8;
const adminUrl = process.env.PACTUM_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const keep = process.env.PACTUM_BENCH_KEEP === '1';
const HTTP_CLIENT = (process.env.PACTUM_BENCH_HTTP_CLIENT || (wrkInstalled() ? 'wrk' : 'http')) as HttpClient;
const CLIENT_DESCRIPTION: Record<HttpClient, string> = {
  wrk: 'wrk, one thread, keep-alive',
  http: 'node:http with a keep-alive agent, in a child process',
  fetch: 'fetch (undici), keep-alive, in a child process',
};
const README = fileURLToPath(new URL('./README.md', import.meta.url));

const PUBLIC_URL = 'http://localhost:3000';

/** Phase (s) calls the session guard directly: all it reads of a request are its method and cookie. */
const requestWithSession = (cookieName: string, token: string) =>
  ({ method: 'GET', cookies: { [cookieName]: token } }) as unknown as FastifyRequest;

/** Phase (h)'s route, added to the benchmark's app instance only. */
const PAGE_FROM_MEMORY = '/bench/contracts-from-memory';

/** What listContracts passes for a plain GET /api/v1/contracts (no filters, first page). */
const LIST_OPTIONS = { vendorId: undefined, kind: undefined, status: undefined, q: undefined, after: null, limit: PAGE };

type PhaseName = 'a' | 'h' | 's' | 'b' | 'c';
const ORDER = ['a', 'h', 's', 'b', 'c'] as const;
const PHASES: Record<PhaseName, string> = {
  a: 'full app: GET /api/v1/contracts over HTTP',
  b: 'same SQL, scoped read as pactum_app (tenant settings), no app',
  c: 'same SQL as owner, no RLS, explicit tenant filter',
  h: 'for reference, no target: the same app and page, served from memory (HTTP, hooks, logs, JSON only)',
  s: 'for reference, no target: (b) with the session check in place of the settings, as the app sends it',
};

interface Round {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  roundTripsPerRequest: number | null;
  /** CPU time per request in µs: this process (the app, or the in-process loops of b and c), the HTTP clients, PostgreSQL. */
  cpu: { app: number; clients: number; postgres: number | null };
  errorCount: number;
  errors: string[];
}

const cleanups: Array<() => Promise<unknown>> = [];

/** Round trips of every pg client of this process (pipelined statements ride along with one in flight). */
const roundTrips = countRoundTrips();

/**
 * CPU seconds used so far by this process and by the PostgreSQL backends connected to the bench database
 * (read from /proc: only when the server runs on this machine, null otherwise).
 */
interface CpuMark {
  app: number;
  /** CPU seconds per backend pid: a backend that starts during a round counts from zero. */
  postgres: Map<number, number> | null;
}
let monitor: { client: pg.Client; database: string } | null = null;
const CLOCK_TICKS = 100;

async function cpuMark(): Promise<CpuMark> {
  const usage = process.cpuUsage();
  const app = (usage.user + usage.system) / 1e6;
  if (!monitor) return { app, postgres: null };
  const { rows } = await monitor.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [monitor.database]);
  const postgres = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      postgres.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // Ended between the query and the read: nothing of it to count.
    }
  }
  return { app, postgres };
}

async function startMonitor(url: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  monitor = { client, database: new URL(url).pathname.slice(1) };
  cleanups.push(() => client.end());
}

async function main(): Promise<number> {
  const scale = SCALES[scaleName];
  if (!scale) throw new Error(`PACTUM_BENCH_SCALE must be one of ${Object.keys(SCALES).join(', ')}`);
  if (!(HTTP_CLIENT in CLIENT_DESCRIPTION)) throw new Error('PACTUM_BENCH_HTTP_CLIENT must be wrk, http or fetch');
  if (HTTP_CLIENT === 'wrk' && !wrkInstalled())
    throw new Error('PACTUM_BENCH_HTTP_CLIENT=wrk, but wrk is not installed (apt-get install wrk)');
  if (HTTP_CLIENT !== 'wrk' && !process.env.PACTUM_BENCH_HTTP_CLIENT) {
    console.log(
      'wrk is not installed: (a) uses node:http clients, which cost the shared CPUs about six times what wrk costs per request (apt-get install wrk).\n',
    );
  }
  const url = await createDatabase();
  await startMonitor(url);
  // Pools keep their connections between rounds, as under steady load: each phase waits its turn for
  // longer than the default 30 s idle timeout, and reconnecting would be measured as part of the next round.
  // The app and (b) log in as pactum_app, as in production; migrations and (c) as the owner.
  const appUrl = new URL(url);
  appUrl.username = APP_ROLE;
  appUrl.password = '';
  const appDatabase = await openPostgres(appUrl.href, POOL_SIZE, { idleTimeoutMillis: 0, ownerUrl: url });
  cleanups.push(() => appDatabase.close());
  await migrate(appDatabase);
  const server = await serverFacts(url);
  console.log(
    `Pactum API benchmark — ${scaleName} scale: ${scale.tenants} tenants × ${scale.contractsPerTenant} contracts × ${scale.lineItemsPerContract} line items\n` +
      `${cpus().length} vCPU (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, ` +
      `PostgreSQL ${server.version}, shared_buffers ${server.sharedBuffers}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );

  console.log('Seeding (set-based, as the owner):');
  const seedStart = performance.now();
  const seeded = await seed(url, scale);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(
    `  seeded in ${seedSeconds.toFixed(1)} s (${Object.entries(seeded.seconds)
      .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
      .join(', ')}); ` + `database size ${await databaseSize(url)}\n`,
  );
  const tenants = seeded.tenants;

  const { app, baseUrl, cookieName, servePageFromMemory } = await startApp(appDatabase);
  const benchDatabase = await openPostgres(appUrl.href, POOL_SIZE, { idleTimeoutMillis: 0 });
  cleanups.push(() => benchDatabase.close());
  const ownerPool = new pg.Pool({ connectionString: url, max: POOL_SIZE, idleTimeoutMillis: 0, pipeline: true });
  const asOwner = new Kysely<Schema>({ dialect: new PipelinedPostgresDialect(ownerPool) });
  cleanups.push(() => asOwner.destroy());
  const list = await compileListQuery();
  const owner = ownerQuery(list);
  const sessionGuard = createSessionGuard(benchDatabase.kysely, createSessionCookies(new URL(PUBLIC_URL)));
  const load = HTTP_CLIENT === 'wrk' ? null : startLoadProcess();

  const phase: Record<PhaseName, (durationMs: number) => Promise<Round>> = {
    a: (durationMs) =>
      httpRound(load, {
        client: HTTP_CLIENT,
        baseUrl,
        path: '/api/v1/contracts',
        cookieName,
        tokens: tenants.map((t) => t.token),
        concurrency: CONCURRENCY,
        durationMs,
        expectedItems: PAGE,
      }),
    h: (durationMs) =>
      httpRound(load, {
        client: HTTP_CLIENT,
        baseUrl,
        path: PAGE_FROM_MEMORY,
        cookieName,
        tokens: tenants.map((t) => t.token),
        concurrency: CONCURRENCY,
        durationMs,
        expectedItems: PAGE,
      }),
    s: (durationMs) =>
      inProcessRound(
        tenants,
        durationMs,
        async (tenant) =>
          (await sessionGuard.scoped(requestWithSession(cookieName, tenant.token), (tx) => tx.executeQuery(list))).rows.length,
      ),
    b: (durationMs) =>
      inProcessRound(
        tenants,
        durationMs,
        async (tenant) =>
          (await readInTenant(benchDatabase.kysely, { tenantId: tenant.tenantId, userId: tenant.userId }, (tx) => tx.executeQuery(list)))
            .rows.length,
      ),
    c: (durationMs) =>
      inProcessRound(tenants, durationMs, async (tenant) => (await asOwner.executeQuery(owner(tenant.tenantId))).rows.length),
  };

  await checkSameRows(tenants, baseUrl, cookieName, benchDatabase, asOwner, list, owner);
  servePageFromMemory(
    await (await fetch(`${baseUrl}/api/v1/contracts`, { headers: { cookie: `${cookieName}=${tenants[0]!.token}` } })).json(),
  );
  if (process.env.PACTUM_BENCH_EXPLAIN === '1') await explain(benchDatabase, asOwner, list, owner, tenants[0]!);

  console.log("Warming the cache: every tenant's first page once through (c) and (b), then one unmeasured round per phase.");
  await warmUp(tenants, benchDatabase, asOwner, list, owner);
  for (const name of ORDER) {
    const round = await phase[name](Math.min(ROUND_SECONDS, 5) * 1000);
    console.log(`  warm-up (${name}) ${describe(round)}`);
    if (round.errorCount > 0) return failed(name, round);
  }

  console.log(
    `\nMeasuring: ${CONCURRENCY} concurrent clients, pools of ${POOL_SIZE}, ${ROUND_SECONDS} s per round, ${ROUNDS} interleaved rounds (${ORDER.join(', ')}).`,
  );
  const rounds: Record<PhaseName, Round[]> = { a: [], h: [], s: [], b: [], c: [] };
  for (let index = 1; index <= ROUNDS; index += 1) {
    for (const name of ORDER) {
      const round = await profiled(`${name}-${index}`, () => phase[name](ROUND_SECONDS * 1000));
      console.log(`  round ${index} (${name}) ${describe(round)}`);
      if (round.errorCount > 0) return failed(name, round);
      rounds[name].push(round);
    }
  }
  await app.close();

  const result = {
    a: summarise(rounds.a),
    h: summarise(rounds.h),
    s: summarise(rounds.s),
    b: summarise(rounds.b),
    c: summarise(rounds.c),
  };
  const ab = result.a.perSecond / result.b.perSecond;
  const bc = result.b.perSecond / result.c.perSecond;
  const verdict = (ratio: number, target: number) => (ratio >= target ? 'PASS' : 'MISS');
  console.log(`\nRESULT (median of ${ROUNDS} rounds, warm cache)`);
  for (const name of ORDER) {
    const r = result[name];
    console.log(
      `  (${name}) ${fmt(r.perSecond, 0).padStart(6)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  ${fmt(r.roundTripsPerRequest, 2)} round trips  CPU ${describeCpu(r.cpu)}  — ${PHASES[name]}`,
    );
  }
  console.log(`  a/b = ${fmt(ab, 3)} (target ≥ ${TARGET_AB}): ${verdict(ab, TARGET_AB)}`);
  console.log(`  b/c = ${fmt(bc, 3)} (target ≥ ${TARGET_BC}): ${verdict(bc, TARGET_BC)}`);
  console.log(`  ${decomposition(result)}`);

  writeReadme({ scale, server, seedSeconds, result, ab, bc, verdict });
  console.log(`\nWrote the numbers to the "API" section of ${README}.`);
  return 0;
}

/** With PACTUM_BENCH_CPU_PROFILE=dir, each measured round leaves a .cpuprofile of this process there. */
async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.PACTUM_BENCH_CPU_PROFILE;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${label}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

function failed(name: PhaseName, round: Round): number {
  console.error(`\nFAILED: ${round.errorCount} of ${round.requests} requests of phase (${name}) failed. First errors:`);
  for (const error of round.errors.slice(0, 5)) console.error(`  ${error}`);
  return 1;
}

async function createDatabase(): Promise<string> {
  const name = `pactum_bench_api_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  if (keep) console.log(`PACTUM_BENCH_KEEP=1: the database ${name} is kept.`);
  else cleanups.push(() => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, url = adminUrl): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

async function serverFacts(url: string) {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ version: string; shared_buffers: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers",
    );
    return { version: rows[0]!.version, sharedBuffers: rows[0]!.shared_buffers };
  }, url);
}

async function databaseSize(url: string): Promise<string> {
  return withAdmin(
    async (client) =>
      (await client.query<{ size: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS size')).rows[0]!.size,
    url,
  );
}

/** The real app, as `pactum serve` builds it, on an ephemeral port; logs at the default level, discarded. */
async function startApp(database: Database) {
  const config = loadConfig({
    PACTUM_PUBLIC_URL: PUBLIC_URL,
    PACTUM_DATABASE_URL: 'postgres://unused',
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_LOG_LEVEL: process.env.PACTUM_LOG_LEVEL || 'info',
    // The benchmark's clients all come from 127.0.0.1: the per-address flood guard would stop them.
    PACTUM_RATE_LIMIT_PER_MINUTE: '10000000',
    // Load shedding would turn the intended overload into 503s.
    PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const logStream = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = await buildApp({ config, database, logStream });
  // Phase (h): the same route options as GET /api/v1/contracts (response schema, every hook), no database.
  let page: unknown = null;
  app.get(PAGE_FROM_MEMORY, { config: { public: true }, schema: { response: { 200: ContractList } } }, async () => page);
  cleanups.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    cookieName: config.publicUrl.protocol === 'https:' ? '__Host-pactum_session' : 'pactum_session',
    servePageFromMemory: (body: unknown) => void (page = body),
  };
}

/** The SQL and parameters listContractViews sends, compiled by Kysely without a database. */
async function compileListQuery(): Promise<CompiledQuery> {
  const captured: CompiledQuery[] = [];
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => ({
      executeQuery: async (query) => {
        captured.push(query);
        return { rows: [] };
      },
      streamQuery: () => {
        throw new Error('not used');
      },
    }),
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  const compiler = new Kysely<Schema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  await compiler.transaction().execute((tx) => listContractViews(tx, LIST_OPTIONS));
  await compiler.destroy();
  const list = captured.find((query) => /from "contracts" as "c"/.test(query.sql));
  if (!list || captured.length !== 1) throw new Error(`expected one list query, captured ${captured.length}`);
  return list;
}

/** (c): the app's SQL text with the tenant filter that row-level security otherwise supplies. */
function ownerQuery(list: CompiledQuery): (tenantId: string) => CompiledQuery {
  const liveOnly = 'where "c"."archived_at" is null';
  if (list.sql.split(liveOnly).length !== 2) throw new Error(`the list query no longer has exactly one "${liveOnly}":\n${list.sql}`);
  const text = list.sql.replace(liveOnly, `${liveOnly} and "c"."tenant_id" = $${list.parameters.length + 1}`);
  return (tenantId) => CompiledQuery.raw(text, [...list.parameters, tenantId]);
}

/** The three phases must answer the same rows, or the comparison means nothing. */
async function checkSameRows(
  tenants: BenchTenant[],
  baseUrl: string,
  cookieName: string,
  database: Database,
  asOwner: Kysely<Schema>,
  list: CompiledQuery,
  owner: (tenantId: string) => CompiledQuery,
) {
  for (const tenant of [tenants[0]!, tenants[Math.floor(tenants.length / 2)]!, tenants.at(-1)!]) {
    const viaApp = await readInTenant(database.kysely, tenant, (tx) => listContractViews(tx, LIST_OPTIONS));
    const compiled = (await readInTenant(database.kysely, tenant, (tx) => tx.executeQuery<{ id: string }>(list))).rows;
    const ownerRows = (await asOwner.executeQuery<{ id: string; net: string }>(owner(tenant.tenantId))).rows;
    const response = await fetch(`${baseUrl}/api/v1/contracts`, { headers: { cookie: `${cookieName}=${tenant.token}` } });
    const body = (await response.json()) as { items: Array<{ id: string; totals: { net: string } }> };
    const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id).join(',');
    if (response.status !== 200) throw new Error(`GET /api/v1/contracts answered ${response.status}: ${JSON.stringify(body)}`);
    if (viaApp.length !== PAGE + 1 || ids(viaApp) !== ids(compiled))
      throw new Error('the compiled list query and listContractViews return different rows');
    if (ids(compiled) !== ids(ownerRows)) throw new Error('phases (b) and (c) return different rows');
    if (ids(body.items) !== ids(viaApp.slice(0, PAGE)) || body.items[0]!.totals.net !== viaApp[0]!.net)
      throw new Error('phases (a) and (b) return different rows');
  }
  console.log(`Checked: (a), (b) and (c) return the same ${PAGE} contracts with the same totals for three tenants.`);
}

async function explain(
  database: Database,
  ownerKysely: Kysely<Schema>,
  list: CompiledQuery,
  owner: (tenantId: string) => CompiledQuery,
  tenant: BenchTenant,
) {
  const plan = (rows: Array<Record<string, unknown>>) => rows.map((row) => `    ${String(row['QUERY PLAN'])}`).join('\n');
  const asApp = await inTenant(database.kysely, tenant, (tx) =>
    tx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${list.sql}`, [...list.parameters])),
  );
  console.log(`EXPLAIN (ANALYZE, BUFFERS) as pactum_app:\n${plan(asApp.rows)}`);
  const ownerQueryText = owner(tenant.tenantId);
  const asOwner = await ownerKysely.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${ownerQueryText.sql}`, [...ownerQueryText.parameters]),
  );
  console.log(`EXPLAIN (ANALYZE, BUFFERS) as the owner:\n${plan(asOwner.rows)}\n`);
}

async function warmUp(
  tenants: BenchTenant[],
  database: Database,
  asOwner: Kysely<Schema>,
  list: CompiledQuery,
  owner: (tenantId: string) => CompiledQuery,
) {
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const tenant = tenants[next++]!;
      await asOwner.executeQuery(owner(tenant.tenantId));
      await readInTenant(database.kysely, tenant, (tx) => tx.executeQuery(list));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** CONCURRENCY loops in this process, each running one request's work for a random tenant until the deadline. */
async function inProcessRound(tenants: BenchTenant[], durationMs: number, work: (tenant: BenchTenant) => Promise<number>): Promise<Round> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const roundTripsBefore = roundTrips.count;
  const cpuBefore = await cpuMark();
  const begin = performance.now();
  const deadline = begin + durationMs;
  const client = async () => {
    while (performance.now() < deadline) {
      const tenant = tenants[Math.floor(Math.random() * tenants.length)]!;
      const start = performance.now();
      try {
        const rows = await work(tenant);
        latencies.push(performance.now() - start);
        if (rows !== PAGE + 1) throw new Error(`expected ${PAGE + 1} rows, got ${rows}`);
      } catch (error) {
        errorCount += 1;
        if (errors.length < 20) errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = (performance.now() - begin) / 1000;
  const cpu = cpuPerRequest(cpuBefore, await cpuMark(), 0, latencies.length);
  const measured = {
    requests: latencies.length,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errorCount,
    errors,
  };
  return roundOf(measured, (roundTrips.count - roundTripsBefore) / Math.max(1, latencies.length), cpu);
}

function startLoadProcess(): ChildProcess {
  const child = fork(fileURLToPath(new URL('./api-http-load.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  cleanups.push(async () => {
    if (child.connected) child.send('exit');
  });
  return child;
}

async function httpRound(child: ChildProcess | null, request: LoadRequest): Promise<Round> {
  const roundTripsBefore = roundTrips.count;
  const cpuBefore = await cpuMark();
  const result = child ? await childProcessLoad(child, request) : await runWrk(request);
  const cpu = cpuPerRequest(cpuBefore, await cpuMark(), result.cpuSeconds, result.requests);
  if (!child && result.errorCount === 0) await checkOneAnswer(request, result);
  return roundOf(result, (roundTrips.count - roundTripsBefore) / Math.max(1, result.requests), cpu);
}

function childProcessLoad(child: ChildProcess, request: LoadRequest): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (message) => {
      child.removeAllListeners('exit');
      resolve(message as LoadResult);
    });
    child.once('exit', (code) => reject(new Error(`the HTTP client process exited with ${code}`)));
    child.send(request);
  });
}

/** wrk counts answers but does not read them: after each round, one answer is read and checked here. */
async function checkOneAnswer(request: LoadRequest, result: LoadResult): Promise<void> {
  const response = await fetch(request.baseUrl + request.path, { headers: { cookie: `${request.cookieName}=${request.tokens[0]}` } });
  const body = await response.text();
  const items = response.status === 200 ? (JSON.parse(body) as { items: unknown[] }).items.length : -1;
  if (items !== request.expectedItems) {
    result.errorCount += 1;
    result.errors.push(
      `after the round: HTTP ${response.status}, ${items} items (expected ${request.expectedItems}): ${body.slice(0, 300)}`,
    );
  }
}

function cpuPerRequest(before: CpuMark, after: CpuMark, clientSeconds: number, requests: number): Round['cpu'] {
  const perRequest = (seconds: number) => (seconds * 1e6) / Math.max(1, requests);
  return {
    app: perRequest(after.app - before.app),
    clients: perRequest(clientSeconds),
    postgres:
      before.postgres === null || after.postgres === null ? null : perRequest(postgresSecondsBetween(before.postgres, after.postgres)),
  };
}

function postgresSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, total] of after) seconds += total - (before.get(pid) ?? 0);
  return seconds;
}

function roundOf(result: Omit<LoadResult, 'cpuSeconds'>, roundTripsPerRequest: number, cpu: Round['cpu']): Round {
  const { requests, seconds, p50, p99, errorCount, errors } = result;
  return { requests, seconds, perSecond: requests / seconds, p50, p99, roundTripsPerRequest, cpu, errorCount, errors };
}

function summarise(rounds: Round[]) {
  const medianOf = (pick: (round: Round) => number) => percentile(rounds.map(pick), 50);
  return {
    perSecond: medianOf((r) => r.perSecond),
    p50: medianOf((r) => r.p50),
    p99: medianOf((r) => r.p99),
    roundTripsPerRequest: medianOf((r) => r.roundTripsPerRequest ?? 0),
    cpu: {
      app: medianOf((r) => r.cpu.app),
      clients: medianOf((r) => r.cpu.clients),
      postgres: rounds.some((r) => r.cpu.postgres === null) ? null : medianOf((r) => r.cpu.postgres!),
    },
  };
}
type Summary = ReturnType<typeof summarise>;

function describe(round: Round): string {
  return `${fmt(round.perSecond, 0).padStart(6)} req/s (${round.requests} in ${fmt(round.seconds, 1)} s), p50 ${fmt(round.p50)} ms, p99 ${fmt(round.p99)} ms, ${fmt(round.roundTripsPerRequest ?? 0, 2)} round trips, CPU ${describeCpu(round.cpu)} per request`;
}

function describeCpu(cpu: Round['cpu']): string {
  const clients = cpu.clients > 0 ? ` + clients ${fmt(cpu.clients, 0)}` : '';
  return `app ${fmt(cpu.app, 0)}${clients} + PostgreSQL ${cpu.postgres === null ? '?' : fmt(cpu.postgres, 0)} µs`;
}

/** Replaces (or appends) the "## API" section of bench/README.md; other sections stay as they are. */
function writeReadme(run: {
  scale: SeedScale;
  server: { version: string; sharedBuffers: string };
  seedSeconds: number;
  result: Record<PhaseName, Summary>;
  ab: number;
  bc: number;
  verdict: (ratio: number, target: number) => string;
}) {
  const { scale, server, result } = run;
  const row = (name: PhaseName) =>
    `| (${name}) ${PHASES[name]} | ${fmt(result[name].perSecond, 0)} | ${fmt(result[name].p50)} | ${fmt(result[name].p99)} | ${fmt(result[name].roundTripsPerRequest, 0)} | ${describeCpu(result[name].cpu)} |`;
  const section = `## API

\`npm run bench:api\` (bench/api.ts) — the contract list, \`GET /api/v1/contracts\` (a page of 50 with line-item totals), three ways
in one run, and two more for reference; see the file's header for what each phase includes.

Last run: ${new Date().toISOString().slice(0, 10)}, ${scaleName} scale (${scale.tenants} tenants × ${scale.contractsPerTenant} contracts × ${scale.lineItemsPerContract} line items,
seeded in ${fmt(run.seedSeconds, 0)} s), ${cpus().length} vCPU (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), node ${process.version},
PostgreSQL ${server.version} with shared_buffers = ${server.sharedBuffers} (as configured). ${CONCURRENCY} concurrent clients, pools of ${POOL_SIZE},
${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s per phase, medians; warm cache (every tenant's first page read once, then one
unmeasured round per phase). HTTP clients of (a) and (h): ${CLIENT_DESCRIPTION[HTTP_CLIENT]}; app, clients and PostgreSQL share the machine.

| phase | req/s | p50 ms | p99 ms | round trips per request | CPU per request |
| --- | ---: | ---: | ---: | ---: | --- |
${row('a')}
${row('h')}
${row('s')}
${row('b')}
${row('c')}

- a/b = ${fmt(run.ab, 3)} (target ≥ ${TARGET_AB}): **${run.verdict(run.ab, TARGET_AB)}**
- b/c = ${fmt(run.bc, 3)} (target ≥ ${TARGET_BC}): **${run.verdict(run.bc, TARGET_BC)}**
- ${decomposition(result)}
`;
  const current = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## API\s*$/m);
  let next: string;
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = `${current.slice(0, start)}${section}${end === -1 ? '' : `\n${rest.slice(end)}`}`;
  }
  writeFileSync(README, next.endsWith('\n') ? next : `${next}\n`);
}

/** a/b split at (s): the app around its transaction (a/s), and the session check against the settings (s/b). */
function decomposition(result: Record<PhaseName, Summary>): string {
  const ratio = (x: PhaseName, y: PhaseName) => fmt(result[x].perSecond / result[y].perSecond, 3);
  return `for reference: a/s = ${ratio('a', 's')} (HTTP, Fastify, building and mapping), s/b = ${ratio('s', 'b')} (session check instead of settings), h/a = ${ratio('h', 'a')}`;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error('clean-up failed:', error);
    }
  }
}

await runBenchmark(main, cleanUp);
