import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, report, send, tally, type Outcome } from './support/load.js';
import { ROOT } from './support/pactum-process.js';
import { startDrill, type Drill } from './support/setup.js';

const CONCURRENCY = 800;
const DURATION_MS = 8_000;
const CONTRACTS = 200;
const LINE_ITEMS = 10;
const HEAVY_LIST = `/api/v1/contracts?limit=${CONTRACTS}`;

/** A vault worth listing: CONTRACTS contracts of LINE_ITEMS line items each, through the API. */
async function fillVault(drill: Drill) {
  const vendor = await send(drill.session, 'POST', '/api/v1/vendors', { body: { name: 'Heavy Vendor AG' } });
  const product = await send(drill.session, 'POST', '/api/v1/products', {
    body: { vendorId: vendor.id, name: 'Heavy Suite', metric: 'user', blockSize: 1 },
  });
  const lineItems = Array.from({ length: LINE_ITEMS }, (_, i) => ({
    productId: product.id,
    quantity: 10 + i,
    listUnitPrice: '100.00',
    discountPercent: '10',
  }));
  let next = 0;
  const worker = async () => {
    while (next < CONTRACTS) {
      next += 1;
      const created = await send(drill.session, 'POST', '/api/v1/contracts', {
        body: {
          vendorId: vendor.id,
          title: `Heavy contract ${next}`,
          startsOn: '2025-01-01',
          endsOn: '2027-12-31',
          currency: 'EUR',
          lineItems,
        },
      });
      if (created.status !== 201) throw new Error(`seeding a contract answered ${created.status} ${created.problemCode}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Starts the crowd; `started` resolves once all its clients are under way, `finished` with its counts. */
function crowd(drill: Drill) {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const finished = new Promise<{ requests: number; counts: Record<string, number> }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/drills/support/crowd.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        BASE: drill.session.base,
        COOKIE: drill.session.cookie,
        LIST_PATH: HEAVY_LIST,
        CONCURRENCY: String(CONCURRENCY),
        DURATION_MS: String(DURATION_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('started\n')) started();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`crowd exited ${code}`)),
    );
  });
  return { running, finished };
}

describe('drill: saturation', () => {
  let drill: Drill;
  beforeAll(async () => {
    drill = await startDrill();
    await fillVault(drill);
  });
  afterAll(() => drill?.close());

  it(`${CONCURRENCY} concurrent heavy lists: no 500, /healthz p99 < 300 ms, /readyz truthful`, async () => {
    const heavy = await send(drill.session, 'GET', HEAVY_LIST);
    expect(heavy.status).toBe(200);
    const load = crowd(drill);
    const health: Outcome[] = [];
    const ready: Outcome[] = [];
    await load.running;
    // Measured while the crowd is at full strength: from its first second to a second before its end.
    await sleep(1_000);
    const startedAt = Date.now() - 1_000;
    const probing = [
      (async () => {
        while (Date.now() - startedAt < DURATION_MS - 1_000) {
          health.push(await send(drill.session, 'GET', '/healthz', { kind: 'healthz' }));
          await sleep(50);
        }
      })(),
      (async () => {
        while (Date.now() - startedAt < DURATION_MS - 1_000) {
          ready.push(await send(drill.session, 'GET', '/readyz', { kind: 'readyz' }));
          await sleep(250);
        }
      })(),
    ];
    await Promise.all(probing);
    const { requests, counts } = await load.finished;
    const healthMs = health.map((o) => o.doneAt - o.sentAt);
    const readyMs = ready.map((o) => o.doneAt - o.sentAt);
    report('saturation', {
      concurrency: CONCURRENCY,
      seconds: DURATION_MS / 1000,
      requests,
      statuses: counts,
      healthzProbes: health.length,
      healthzP50Ms: percentile(healthMs, 50),
      healthzP99Ms: percentile(healthMs, 99),
      healthzMaxMs: Math.max(0, ...healthMs),
      readyzAnswers: tally(ready),
      readyzP99Ms: percentile(readyMs, 99),
      processSurvived: drill.pactum.alive(),
    });

    expect(drill.pactum.alive()).toBe(true);
    // A request admitted just before the queue filled may still time out waiting for a connection:
    // that is a 503 too (its code says which), never a 500.
    expect(
      Object.keys(counts).filter((key) => !/^(200|429 rate_limited|503 (overloaded|service_unavailable))$/.test(key)),
      "only 200, 429 rate_limited (the company's own queue is full) or problem+json 503",
    ).toEqual([]);
    expect(
      health.every((o) => o.status === 200),
      '/healthz is never shed',
    ).toBe(true);
    expect(percentile(healthMs, 99), '/healthz p99').toBeLessThan(300);
    expect(
      ready.every((o) => o.status === 200),
      '/readyz says ready while the database is reachable',
    ).toBe(true);
  });
});
