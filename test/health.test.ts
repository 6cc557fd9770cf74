import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/db/engine.js';
import { buildApp } from '../src/http/app.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { engineName } from './helpers/test-database.js';

describe(`health endpoints (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('says the process serves', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('is ready while the database answers; replication null on the embedded engine and for a login without pg_monitor', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.database).toBe('ok');
    // On the server the service logs in as pactum_app, which has no pg_monitor here (test/health/replication-readiness.test.ts reads it with one).
    expect(body.replication).toBeNull();
  });

  it('answers 503 when the database is unreachable', async () => {
    // A server nobody listens on: the pool's connection attempt is refused at once.
    const unreachable = await openPostgres('postgres://postgres@127.0.0.1:9/pactum', 1);
    const app = await buildApp({ config: t.config, database: unreachable, logStream: new Writable({ write: (_c, _e, done) => done() }) });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ database: 'unreachable', replication: null, backup: null });
    } finally {
      await app.close();
      await unreachable.close();
    }
  });
});
