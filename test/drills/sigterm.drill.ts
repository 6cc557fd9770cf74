import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVendors, report, startLoad, tally, type Outcome } from './support/load.js';
import { startDrill, type Drill } from './support/setup.js';

const SHUTDOWN_SECONDS = 5;

describe('drill: SIGTERM under load', () => {
  let drill: Drill;
  beforeAll(async () => {
    drill = await startDrill({ PACTUM_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS), PACTUM_LOG_LEVEL: 'info' });
  });
  afterAll(() => drill?.close());

  it(`exits within ${SHUTDOWN_SECONDS} s, answers every request sent before the signal, refuses later ones, keeps every 2xx`, async () => {
    const load = startLoad(drill.session, { writers: 4, readers: 4, pauseMs: 10, read: (agent) => readVendors(drill.session, agent) });
    await sleep(3_000);
    const signalledAt = Date.now();
    drill.pactum.child.kill('SIGTERM');
    // From the moment the node says it is shutting down, nothing new may be served.
    const acknowledgedAt = await drill.pactum.waitForOutput(/shutting down/, 10_000);
    await sleep(1_500);
    const outcomes = await load.stop();
    const exit = await drill.pactum.exited;

    const before = outcomes.filter((o) => o.sentAt < signalledAt);
    const unanswered = before.filter((o) => o.status === null);
    const after = outcomes.filter((o) => o.sentAt > acknowledgedAt);
    const refusedProperly = (o: Outcome) =>
      (o.status === 503 && o.problemCode === 'service_unavailable' && o.retryAfter !== null) ||
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(o.error ?? '');
    const servedLate = after.filter((o) => !refusedProperly(o));
    const bad = outcomes.filter((o) => o.status !== null && !(o.status < 300 || o.status === 503));
    const acknowledged = outcomes.filter((o) => o.id).map((o) => o.id!);
    const found = await drill.vendorsFound(acknowledged);
    report('SIGTERM under load', {
      shutdownSeconds: SHUTDOWN_SECONDS,
      msToExit: exit.at - signalledAt,
      exitCode: exit.code,
      msToShuttingDownLine: acknowledgedAt - signalledAt,
      requestsBeforeSignal: before.length,
      answeredBeforeSignal: before.length - unanswered.length,
      statusesBeforeSignal: tally(before),
      requestsAfterShutdownBegan: after.length,
      statusesAfterShutdownBegan: tally(after),
      acknowledgedWrites: acknowledged.length,
      writesFound: found,
    });

    expect(exit.at - signalledAt, 'exits within the configured time').toBeLessThanOrEqual(SHUTDOWN_SECONDS * 1000);
    expect(exit.code).toBe(0);
    expect(
      unanswered.map((o) => o.error),
      'every request sent before the signal is answered',
    ).toEqual([]);
    expect(
      bad.map((o) => `${o.status} ${o.problemCode}`),
      'no 500',
    ).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
    expect(
      servedLate.map((o) => o.error ?? `${o.status} ${o.problemCode}`),
      'later requests are refused',
    ).toEqual([]);
    expect(found, 'every acknowledged write is in the database').toBe(acknowledged.length);
  });
});
