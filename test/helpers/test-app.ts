import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/fake-twilio.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export const PUBLIC_URL = 'http://localhost:3000';
export const ORIGIN = new URL(PUBLIC_URL).origin;
export const TWILIO = { accountSid: 'ACtest0000000000000000000000000000', authToken: 'twilio-secret-token-7f3a9c' };

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  db: TestDatabase;
  twilio: FakeTwilio;
  logs: string[];
  close(): Promise<void>;
}

let counter = 0;

/** Builds the real app against a fresh database and a fake Twilio, with logs captured in memory. */
export async function startTestApp(
  env: Record<string, string> = {},
  beforeReady?: (app: FastifyInstance) => void,
  options: Pick<AppOptions, 'documentStorage' | 'webAppDir' | 'backupStatus'> = {},
): Promise<TestApp> {
  const twilio = await startFakeTwilio(TWILIO);
  const db = await createTestDatabase();
  const config = loadConfig({
    PACTUM_PUBLIC_URL: PUBLIC_URL,
    PACTUM_DATA_DIR: mkdtempSync(join(tmpdir(), 'pactum-test-')),
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    PACTUM_TWILIO_API_URL: twilio.url,
    PACTUM_LOG_LEVEL: 'debug',
    // Every test request comes from 127.0.0.1; tests of these limits lower them again.
    PACTUM_AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    PACTUM_RATE_LIMIT_PER_MINUTE: '10000',
    PACTUM_LOGIN_IP_LIMIT: '10000',
    PACTUM_SIGNUP_IP_HOURLY_LIMIT: '10000',
    // Two test files share two cores; load shedding would turn a slow moment into a 503. Memory is the
    // test worker's (vitest and PGlite included), and race tests queue many requests on a small pool;
    // test/http/load-shedding.test.ts sets these limits itself.
    PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
    PACTUM_MAX_HEAP_USED_MB: '0',
    PACTUM_MAX_RSS_MB: '0',
    PACTUM_MAX_POOL_WAITING: '0',
    ...env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp({ config, database: db.database, logStream, enforceDocumentedProblems: true, ...options });
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    config,
    db,
    twilio,
    logs,
    async close() {
      await app.close();
      await db.drop();
      await twilio.close();
    },
  };
}

/** A browser-like client: keeps the session cookie and sends our Origin on state-changing requests. */
export class Client {
  cookie: string | undefined;

  constructor(private readonly t: TestApp) {}

  async request(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(options.headers as Record<string, string>) };
    if (this.cookie) headers.cookie = `pactum_session=${this.cookie}`;
    if (options.method !== 'GET' && options.method !== 'HEAD' && !('origin' in headers)) headers.origin = ORIGIN;
    const response = await this.t.app.inject({ ...options, headers });
    const session = response.cookies.find((c) => c.name === 'pactum_session');
    if (session) this.cookie = session.value || undefined;
    return response;
  }

  get(url: string) {
    return this.request({ method: 'GET', url });
  }

  post(url: string, payload?: unknown) {
    return this.request({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
}

export function uniqueEmail(prefix = 'user') {
  counter += 1;
  return `${prefix}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
}

/** Swiss mobile numbers from a test range, distinct per call so per-number caps do not interfere. */
export function uniqueMobile() {
  counter += 1;
  return `+4179${String(1_000_000 + counter * 7919 + Math.floor(Math.random() * 1000)).slice(-7)}`;
}

export const STRONG_PASSWORD = 'correct horse battery staple vault 42';

export interface Registered {
  client: Client;
  email: string;
  password: string;
  phone: string;
  userId: string;
  tenantId: string;
}

/** Signs a new company up and verifies the code the fake Twilio received: a signed-in master. */
export async function registerCompany(
  t: TestApp,
  overrides: Partial<{ email: string; phone: string; password: string; companyName: string; name: string }> = {},
): Promise<Registered> {
  const client = new Client(t);
  const email = overrides.email ?? uniqueEmail();
  const phone = overrides.phone ?? uniqueMobile();
  const password = overrides.password ?? STRONG_PASSWORD;
  const signup = await client.post('/api/v1/signup', {
    companyName: overrides.companyName ?? 'Globex Procurement',
    name: overrides.name ?? 'Hank Scorpio',
    email,
    phone,
    password,
  });
  expect(signup.statusCode, signup.body).toBe(201);
  const code = t.twilio.lastCodeFor(phone);
  expect(code).toMatch(/^\d{6}$/);
  const verified = await client.post(`/api/v1/auth/challenges/${signup.json().challenge.id}/verify`, { code });
  expect(verified.statusCode, verified.body).toBe(200);
  return { client, email, password, phone, userId: verified.json().user.id, tenantId: verified.json().tenant.id };
}

/** Logs an existing user in on a fresh client (password, then the phone code). */
export async function login(t: TestApp, who: { email: string; password: string; phone: string }): Promise<Client> {
  const client = new Client(t);
  const started = await client.post('/api/v1/auth/login', { email: who.email, password: who.password });
  expect(started.statusCode, started.body).toBe(200);
  const verified = await client.post(`/api/v1/auth/challenges/${started.json().challenge.id}/verify`, {
    code: t.twilio.lastCodeFor(who.phone),
  });
  expect(verified.statusCode, verified.body).toBe(200);
  return client;
}
