import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/engine.js';
import { buildApp } from '../../src/http/app.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName, serverUrl } from '../helpers/test-database.js';

const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });

function expectOverloaded(response: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }) {
  expect(response.statusCode).toBe(503);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json().code).toBe('overloaded');
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

describe(`load shedding (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses new requests with 503 overloaded while too many wait for a database connection, but never the probes', async () => {
    const master = await registerCompany(t);
    const crowded: Database = { ...t.db.database, poolPressure: () => ({ waiting: 20, total: 10, idle: 0 }) };
    const app = await buildApp({ config: { ...t.config, maxPoolWaiting: 20 }, database: crowded, logStream: quiet() });
    try {
      expectOverloaded(
        await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `pactum_session=${master.client.cookie}` } }),
      );
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ database: 'ok', backup: null });
    } finally {
      await app.close();
    }
    // One fewer waiting than the limit is served.
    const calmer: Database = { ...t.db.database, poolPressure: () => ({ waiting: 19, total: 10, idle: 0 }) };
    const served = await buildApp({ config: { ...t.config, maxPoolWaiting: 20 }, database: calmer, logStream: quiet() });
    try {
      expect(
        (await served.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `pactum_session=${master.client.cookie}` } }))
          .statusCode,
      ).toBe(200);
    } finally {
      await served.close();
    }
  });

  it.each([
    ['heap', { maxHeapUsedBytes: 1024 * 1024 }],
    ['resident memory', { maxRssBytes: 1024 * 1024 }],
  ])('sheds on %s over its limit, and still answers the probes', async (_name, limits) => {
    const app = await buildApp({ config: { ...t.config, ...limits }, database: t.db.database, logStream: quiet() });
    try {
      await app.ready();
      // under-pressure samples memory once a second.
      await sleep(1_300);
      expectOverloaded(await app.inject({ method: 'GET', url: '/api/v1/vendors' }));
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

/** A "database" that accepts connections and never says a word: a partition, a frozen server. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/pactum`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe(`readiness (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 503 within about a second when the database does not answer, not after the pool’s waits', async () => {
    const silent = await silentServer();
    const database = await openPostgres(silent.url, 2);
    const app = await buildApp({ config: t.config, database, logStream: quiet() });
    try {
      const started = Date.now();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      const elapsedMs = Date.now() - started;
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ database: 'unreachable', replication: null, backup: null });
      // About a second (the probe's connect timeout) plus a busy machine's slack; the pool would take 5 s.
      expect(elapsedMs).toBeLessThan(4_000);
    } finally {
      await app.close();
      await database.close();
      await silent.close();
    }
  });

  it.runIf(serverUrl)('says the database is reachable while every pooled connection is busy', async () => {
    const database = await openPostgres(t.db.url!, 1);
    const app = await buildApp({ config: t.config, database, logStream: quiet() });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const busy = database.kysely.transaction().execute(async (trx) => {
      await sql`SELECT 1`.execute(trx);
      await held;
    });
    try {
      await sleep(100);
      const started = Date.now();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().database).toBe('ok');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      release();
      await busy;
      await app.close();
      await database.close();
    }
  });
});
