import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, report, send, startLoad, tally, type Outcome } from './support/load.js';
import { startDrill, type Drill } from './support/setup.js';

const OUTAGE_MS = 10_000;

describe('drill: the database stops for 10 s and starts again', () => {
  let drill: Drill;
  beforeAll(async () => {
    drill = await startDrill();
  });
  afterAll(() => drill?.close());

  it('fails fast with 503 during the stop, is not ready, recovers within 2 s, and loses no acknowledged write', async () => {
    const load = startLoad(drill.session, { writers: 4, readers: 4, pauseMs: 50 });
    const probes: Outcome[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probes.push(await send(drill.session, 'GET', '/readyz', { kind: 'readyz', timeoutMs: 5_000 }));
        await sleep(250);
      }
    })();

    await sleep(2_000);
    const stoppedAt = Date.now();
    await drill.cluster.stop('fast');
    await sleep(OUTAGE_MS);
    const startRequestedAt = Date.now();
    await drill.cluster.start();
    const acceptingAt = await drill.cluster.waitAccepting();
    await sleep(4_000);
    probing = false;
    await prober;
    const outcomes = await load.stop();
    const survived = drill.pactum.alive();

    // The outage as clients saw it: from a moment after the stop began to the server accepting again.
    const during = (o: Outcome) => o.sentAt >= stoppedAt + 500 && o.doneAt <= startRequestedAt;
    const outageAnswers = outcomes.filter(during);
    const outageMs = outageAnswers.map((o) => o.doneAt - o.sentAt);
    const firstSuccess = outcomes
      .filter((o) => o.status !== null && o.status < 300 && o.doneAt >= acceptingAt)
      .sort((a, b) => a.doneAt - b.doneAt)[0];
    const recoveredMs = firstSuccess ? firstSuccess.doneAt - acceptingAt : Infinity;
    const readyDuring = probes.filter(during);
    const acknowledged = outcomes.filter((o) => o.id).map((o) => o.id!);
    const found = await drill.vendorsFound(acknowledged);
    const bad = outcomes.filter((o) => o.error !== null || (o.status !== null && !(o.status < 300 || o.status === 503)));
    report('database stopped 10 s', {
      requests: outcomes.length,
      statuses: tally(outcomes),
      duringOutage: tally(outageAnswers),
      outageP99Ms: percentile(outageMs, 99),
      readyzDuringOutage: tally(readyDuring),
      msFromAcceptingToFirst2xx: recoveredMs,
      acknowledgedWrites: acknowledged.length,
      writesFound: found,
      processSurvived: survived,
    });
    if (!survived) process.stdout.write(`  last output: ${drill.pactum.output().slice(-1500)}\n`);

    expect(survived, 'the process survives').toBe(true);
    expect(
      bad.map((o) => o.error ?? `${o.status} ${o.problemCode}`),
      'only 2xx or 503, never 500 or a reset',
    ).toEqual([]);
    expect(outageAnswers.length).toBeGreaterThan(0);
    expect(
      outageAnswers.every((o) => o.status === 503 && o.retryAfter !== null),
      'every request during the stop is a 503 with Retry-After',
    ).toBe(true);
    expect(percentile(outageMs, 99), '503s are fast (p99)').toBeLessThan(300);
    expect(readyDuring.length).toBeGreaterThan(0);
    expect(
      readyDuring.every((o) => o.status === 503),
      '/readyz is 503 during the stop',
    ).toBe(true);
    expect(recoveredMs, '2xx within 2 s of the database accepting connections').toBeLessThan(2_000);
    expect(found, 'every acknowledged write is in the database').toBe(acknowledged.length);
  });
});
