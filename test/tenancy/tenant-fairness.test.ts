import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/**
 * One company's flood queues behind itself (src/http/tenant-gate.ts, wired in the session guard): with one
 * turn per company and no queue, a burst of a company's requests gets one answer and 429 for the rest,
 * while another company's request at the same moment is served.
 */
describe(`requests are fair between tenants (${engineName})`, () => {
  let t: TestApp;
  let a: Registered;
  let b: Registered;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_TENANT_CONCURRENCY: '1', PACTUM_TENANT_QUEUE_LIMIT: '0' });
    a = await registerCompany(t, { companyName: 'Flooding Corp' });
    b = await registerCompany(t, { companyName: 'Quiet Corp' });
    // Each node looks a session's tenant up once; the burst below then meets the gate at once.
    expect((await a.client.get('/api/v1/vendors')).statusCode).toBe(200);
    expect((await b.client.get('/api/v1/me')).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  it('refuses a company’s requests beyond its turns with 429 rate_limited, while another company is served', async () => {
    const burst = [1, 2, 3, 4].map(() => a.client.get('/api/v1/vendors'));
    const other = b.client.get('/api/v1/me');
    const answers = await Promise.all(burst);
    expect(answers.map((response) => response.statusCode).sort()).toEqual([200, 429, 429, 429]);
    for (const refused of answers.filter((response) => response.statusCode === 429)) {
      expect(refused.json().code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await other).statusCode).toBe(200);
    // The turn was given back: the company is served again.
    expect((await a.client.get('/api/v1/vendors')).statusCode).toBe(200);
  });

  it.runIf(engineName === 'postgres')(
    'keeps a company’s next request waiting while its turn is taken, and serves another company meanwhile',
    async () => {
      // The owner locks the vendors table: tenant A's list waits in the database holding A's only turn.
      const owner = new pg.Client({ connectionString: t.db.url! });
      await owner.connect();
      try {
        await owner.query('BEGIN');
        await owner.query('LOCK TABLE vendors IN ACCESS EXCLUSIVE MODE');
        const waiting = new Promise((resolve) => setTimeout(resolve, 200));
        const stuck = a.client.get('/api/v1/vendors');
        await waiting;
        // A's next request finds A's turn taken and A's queue (of 0) full; B is served meanwhile.
        expect((await a.client.get('/api/v1/vendors')).statusCode).toBe(429);
        const me = await b.client.get('/api/v1/me');
        expect(me.statusCode, me.body).toBe(200);
        await owner.query('COMMIT');
        expect((await stuck).statusCode).toBe(200);
      } finally {
        await owner.end();
      }
    },
  );
});

describe(`a company's queued requests are served once its turn is free (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_TENANT_CONCURRENCY: '1', PACTUM_TENANT_QUEUE_LIMIT: '10' });
  });
  afterAll(() => t.close());

  it('answers every request of a burst, one after the other', async () => {
    const c = await registerCompany(t);
    const answers = await Promise.all([1, 2, 3, 4].map(() => c.client.get('/api/v1/vendors')));
    expect(answers.map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
  });
});
