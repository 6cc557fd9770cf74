import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function get(port: number, path: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`shutdown order (${engineName})`, () => {
  let t: TestApp;
  let port: number;
  /** Lets the requests waiting in /slow answer. */
  let finish: () => void;
  /** Resolves once a request is inside /slow: in flight for certain, however busy the machine. */
  let arrived: Promise<void>;

  // The real app with one extra route that answers when the test says so; started in a hook, since
  // building an app on a busy machine can take longer than a test is given.
  beforeEach(async () => {
    let release!: () => void;
    const finished = new Promise<void>((resolve) => (release = resolve));
    finish = release;
    let arrive!: () => void;
    arrived = new Promise<void>((resolve) => (arrive = resolve));
    t = await startTestApp({}, (app) => {
      app.get('/slow', { config: { rateLimit: false } }, async () => {
        arrive();
        await finished;
        return { done: true };
      });
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    finish();
    await t.close().catch(() => {});
  });

  it('stops accepting, refuses newcomers with problem+json 503, finishes in-flight requests with Connection: close', async () => {
    const inFlightAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A keep-alive connection that is idle when the signal comes, and a request in flight on another.
      expect((await get(port, '/healthz', idleAgent)).status).toBe(200);
      const inFlight = get(port, '/slow', inFlightAgent);
      await arrived;

      let jobStopped = false;
      const drained = t.app.drain({
        deadlineMs: 5_000,
        idleGraceMs: 2_000,
        jobs: [
          async () => {
            await sleep(200);
            jobStopped = true;
          },
        ],
      });
      await sleep(50);

      // No new connections.
      await expect(get(port, '/healthz', new Agent({ keepAlive: false }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // A request on the open keep-alive connection is answered, as a problem with a hint when to retry.
      const refused = await get(port, '/api/v1/vendors', idleAgent);
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers.connection).toBe('close');

      finish();
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(JSON.parse(answered.body)).toEqual({ done: true });
      expect(answered.headers.connection).toBe('close');

      const outcome = await drained;
      expect(outcome.forced).toBe(false);
      expect(jobStopped).toBe(true);
      // Done when the work is: well before the deadline (5 s) and the idle grace (2 s) would say.
      expect(outcome.elapsedMs).toBeLessThan(5_000);
    } finally {
      inFlightAgent.destroy();
      idleAgent.destroy();
    }
  });

  it('cuts what is still running at the deadline', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const stuck = get(port, '/slow', agent).catch((error: NodeJS.ErrnoException) => error.code);
      await arrived;
      const started = Date.now();
      const outcome = await t.app.drain({ deadlineMs: 600 });
      expect(outcome.forced).toBe(true);
      // Without the deadline it would wait for ever; generous for a busy machine.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await stuck).toBe('ECONNRESET');
    } finally {
      agent.destroy();
    }
  });
});
