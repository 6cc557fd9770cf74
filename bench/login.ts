/**
 * Login benchmark: 50 concurrent sign-ins against one Pactum process over real HTTP.
 *
 *   npm run bench:login
 *   PACTUM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:login
 *
 * Reports the password step's throughput (POST /api/v1/auth/login: argon2id verify, throttles, a new
 * challenge, the code sent through the real Twilio adapter to a local fake) and the event-loop delay
 * during the run, as the median of 3 runs after a warm-up. The target is an event-loop delay p99 under
 * 20 ms: argon2 runs on libuv's thread pool and must not block the loop. A second series completes
 * the sign-in (login, then verify the code the fake Twilio received) and is reported separately.
 * See bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openEmbedded, openPostgres, type Database } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';
import { inTenant } from '../src/db/tenant-context.js';
import { buildApp } from '../src/http/app.js';
import { hashPassword } from '../src/identity/password-hashing.js';
import { classifyPhone } from '../src/identity/phone.js';
import * as queries from '../src/identity/queries.js';
import { startFakeTwilio } from '../test/fakes/fake-twilio.js';
import { runBenchmark } from './run.js';

const CONCURRENCY = 50;
const USERS = 50;
const LOGINS_PER_RUN = 300;
const MEASURED_RUNS = 3;
const TARGET_LOOP_P99_MS = 20;
const PASSWORD = 'bench horse battery staple vault 42';
const PUBLIC_URL = 'http://localhost:3000';
const ORIGIN = new URL(PUBLIC_URL).origin;
const TWILIO = { accountSid: 'ACbench000000000000000000000000000', authToken: 'bench-twilio-token-5b1e' };
const serverUrl = process.env.PACTUM_BENCH_DATABASE_URL || null;

interface BenchUser {
  email: string;
  phone: string;
}

interface RunResult {
  logins: number;
  seconds: number;
  perSecond: number;
  latencyP50: number;
  latencyP99: number;
  /** The verify step alone (full sign-in series only). */
  verifyP50: number | null;
  verifyP99: number | null;
  loopP99: number;
  loopMax: number;
  errors: string[];
}

type Step = 'password' | 'full';

const cleanups: Array<() => Promise<unknown>> = [];
const recentLogs: string[] = [];

async function main(): Promise<number> {
  const engine = serverUrl ? 'postgres' : 'embedded';
  const database = await openBenchDatabase();
  const twilio = await startFakeTwilio(TWILIO);
  cleanups.push(() => twilio.close());

  const config = loadConfig({
    PACTUM_PUBLIC_URL: PUBLIC_URL,
    PACTUM_DATA_DIR: join(tmpdir(), 'pactum-bench-unused'),
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    PACTUM_TWILIO_API_URL: twilio.url,
    PACTUM_LOG_LEVEL: 'warn',
    // Every login of the benchmark must be answered, not throttled.
    PACTUM_LOGIN_IP_LIMIT: '1000000',
    PACTUM_RATE_LIMIT_PER_MINUTE: '10000000',
    PACTUM_OTP_NUMBER_HOURLY_CAP: '1000',
    PACTUM_OTP_TENANT_HOURLY_CAP: '1000000',
    PACTUM_OTP_GLOBAL_HOURLY_CAP: '10000000',
    // The login route also has a fixed limit of 20 requests per minute per client address. A real
    // deployment sits behind a reverse proxy and its users come from many addresses, so the benchmark
    // trusts the loopback proxy hop and gives each sign-in its own X-Forwarded-For address.
    PACTUM_TRUST_PROXY: '127.0.0.1',
  });

  const users = await seedUsers(database);
  // Logs at 'warn' go nowhere, except that the last few are kept to explain a failed run.
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      recentLogs.push(String(chunk).trim());
      if (recentLogs.length > 5) recentLogs.shift();
      done();
    },
  });
  const app = await buildApp({ config, database, logStream });
  cleanups.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  console.log(
    `Pactum login benchmark — engine ${engine}${serverUrl ? ' (pool 10)' : ''}, node ${process.version}, ` +
      `${availableParallelism()} vCPU (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
      `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `${USERS} users, ${CONCURRENCY} logins in flight, ${LOGINS_PER_RUN} logins per run, 1 warm-up + ${MEASURED_RUNS} measured runs\n`,
  );

  const client = { baseUrl, twilio, users, nextAddress: 1 };
  const password = await series('password step (POST /api/v1/auth/login)', 'password', client);
  if (!password) return 1;
  const full = await series('full sign-in (login, then verify the SMS code)', 'full', client);

  const verdict = password.loopP99 < TARGET_LOOP_P99_MS ? 'PASS' : 'MISS';
  console.log(
    `\nRESULT login (${engine}, median of ${MEASURED_RUNS}): ${fmt(password.perSecond, 1)} logins/s, ` +
      `latency p50 ${fmt(password.latencyP50)} ms / p99 ${fmt(password.latencyP99)} ms, ` +
      `event-loop delay p99 ${fmt(password.loopP99, 2)} ms (max ${fmt(password.loopMax)} ms) — ` +
      `target p99 < ${TARGET_LOOP_P99_MS} ms: ${verdict}`,
  );
  if (!full) {
    console.log('       full sign-in: FAILED (see above)');
    return 1;
  }
  console.log(
    `       full sign-in (${engine}, median of ${MEASURED_RUNS}): ${fmt(full.perSecond, 1)} sign-ins/s, ` +
      `verify p50 ${fmt(full.verifyP50 ?? 0)} ms / p99 ${fmt(full.verifyP99 ?? 0)} ms, ` +
      `event-loop delay p99 ${fmt(full.loopP99, 2)} ms (max ${fmt(full.loopMax)} ms)`,
  );
  return 0;
}

type BenchClient = { baseUrl: string; twilio: Awaited<ReturnType<typeof startFakeTwilio>>; users: BenchUser[]; nextAddress: number };

/** A warm-up run and the measured runs of one kind; returns the medians, or null after errors. */
async function series(title: string, step: Step, client: BenchClient): Promise<Omit<RunResult, 'errors'> | null> {
  console.log(title);
  const results: RunResult[] = [];
  for (let run = 0; run <= MEASURED_RUNS; run += 1) {
    const result = await runOnce(step, client);
    const label = run === 0 ? 'warm-up' : `run ${run}  `;
    console.log(`  ${label} ${describe(result, step)}`);
    if (result.errors.length > 0) {
      console.error(`\nFAILED: ${result.errors.length} of ${result.logins} sign-ins did not succeed. First errors:`);
      for (const error of result.errors.slice(0, 5)) console.error(`  ${error}`);
      if (recentLogs.length > 0)
        console.error(`Last service log lines (warn and above):\n${recentLogs.map((line) => `  ${line.slice(0, 400)}`).join('\n')}`);
      return null;
    }
    if (run > 0) results.push(result);
  }
  const medianOf = (pick: (r: RunResult) => number | null) => {
    const values = results.map(pick);
    return values.some((v) => v === null) ? null : median(values as number[]);
  };
  const summary = {
    logins: medianOf((r) => r.logins) ?? 0,
    seconds: medianOf((r) => r.seconds) ?? 0,
    perSecond: medianOf((r) => r.perSecond) ?? 0,
    latencyP50: medianOf((r) => r.latencyP50) ?? 0,
    latencyP99: medianOf((r) => r.latencyP99) ?? 0,
    verifyP50: medianOf((r) => r.verifyP50),
    verifyP99: medianOf((r) => r.verifyP99),
    loopP99: medianOf((r) => r.loopP99) ?? 0,
    loopMax: medianOf((r) => r.loopMax) ?? 0,
  };
  console.log(`  median  ${describe({ ...summary, errors: [] }, step)}\n`);
  return summary;
}

function describe(r: RunResult, step: Step): string {
  const what = step === 'password' ? 'logins/s' : 'sign-ins/s';
  const latency = step === 'password' ? 'latency' : 'login+verify';
  const verify = r.verifyP50 === null ? '' : `, verify p50 ${fmt(r.verifyP50)} / p99 ${fmt(r.verifyP99 ?? 0)} ms`;
  return (
    `${fmt(r.perSecond, 1).padStart(6)} ${what} (${r.logins} in ${fmt(r.seconds, 2)} s), ` +
    `${latency} p50 ${fmt(r.latencyP50)} / p99 ${fmt(r.latencyP99)} ms${verify}, ` +
    `event-loop delay p99 ${fmt(r.loopP99, 2)} / max ${fmt(r.loopMax)} ms`
  );
}

/**
 * One run: CONCURRENCY workers keep exactly that many sign-ins in flight until LOGINS_PER_RUN have been
 * started. Users are handed out round-robin from a queue and are never in flight twice, so the latest
 * code the fake Twilio holds for a number belongs to the challenge just started.
 */
async function runOnce(step: Step, client: BenchClient): Promise<RunResult> {
  const idle = [...client.users];
  const latencies: number[] = [];
  const verifyLatencies: number[] = [];
  const errors: string[] = [];
  let started = 0;

  const worker = async () => {
    while (started < LOGINS_PER_RUN) {
      started += 1;
      const user = idle.shift();
      if (!user) throw new Error('no idle user: USERS must be at least CONCURRENCY');
      const address = clientAddress(client.nextAddress++);
      try {
        const begin = performance.now();
        const login = await post(client.baseUrl, '/api/v1/auth/login', { email: user.email, password: PASSWORD }, address);
        const afterLogin = performance.now();
        if (login.status !== 200) {
          errors.push(`login ${user.email}: HTTP ${login.status} ${login.body.slice(0, 300)}`);
          continue;
        }
        if (step === 'password') {
          latencies.push(afterLogin - begin);
          continue;
        }
        const challengeId = (JSON.parse(login.body) as { challenge: { id: string } }).challenge.id;
        const code = client.twilio.lastCodeFor(user.phone);
        if (!code) {
          errors.push(`verify ${user.email}: the fake Twilio holds no code for ${user.phone}`);
          continue;
        }
        const verify = await post(client.baseUrl, `/api/v1/auth/challenges/${challengeId}/verify`, { code }, address);
        const end = performance.now();
        if (verify.status !== 200) {
          errors.push(`verify ${user.email}: HTTP ${verify.status} ${verify.body.slice(0, 300)}`);
          continue;
        }
        latencies.push(end - begin);
        verifyLatencies.push(end - afterLogin);
      } catch (error) {
        errors.push(`${user.email}: ${error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error)}`);
      } finally {
        idle.push(user);
      }
    }
  };

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const begin = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - begin) / 1000;
  loop.disable();

  return {
    logins: started,
    seconds,
    perSecond: started / seconds,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    verifyP50: step === 'full' ? percentile(verifyLatencies, 50) : null,
    verifyP99: step === 'full' ? percentile(verifyLatencies, 99) : null,
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    errors,
  };
}

/** A distinct client address per sign-in (10.0.0.0/8), forwarded by the trusted loopback proxy. */
function clientAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** A browser-like JSON POST over the global fetch (undici, keep-alive). The body is always read. */
async function post(baseUrl: string, path: string, body: unknown, forwardedFor: string): Promise<{ status: number; body: string }> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': forwardedFor, 'user-agent': 'pactum-bench' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

/** Active users, each the master of its own active tenant, all with the same known password. */
async function seedUsers(database: Database): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let index = 0; index < USERS; index += 1) {
    const phone = `+4179${String(2_000_000 + index * 7).padStart(7, '0')}`;
    const classified = classifyPhone(phone, '*');
    if (!classified.ok) throw new Error(`seed phone ${phone} is not usable: ${classified.reason}`);
    users.push({ email: `bench.user.${index}@bench.pactum.example`, phone: classified.phone.e164 });
  }
  // A hash per user (own salt), computed in parallel on the thread pool.
  const hashes = await Promise.all(users.map(() => hashPassword(PASSWORD)));
  for (const [index, user] of users.entries()) {
    const tenantId = randomUUID();
    await inTenant(database.kysely, { tenantId, userId: null }, async (tx) => {
      await queries.insertTenant(tx, { id: tenantId, name: `Bench Tenant ${index} AG` });
      const row = await queries.insertUser(tx, {
        name: `Bench User ${index}`,
        email: user.email,
        phoneE164: user.phone,
        phoneCountry: 'CH',
        passwordHash: hashes[index] ?? null,
        role: 'master',
        status: 'pending',
      });
      if (!(await queries.claimEmail(tx, user.email, row.id))) throw new Error(`seed e-mail ${user.email} is taken`);
      await queries.activateSignup(tx, row.id);
    });
  }
  return users;
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
  // The pool size the service uses by default (openDatabase).
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
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error('clean-up failed:', error);
    }
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}

await runBenchmark(main, cleanUp);
