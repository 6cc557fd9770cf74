import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, startLoad, tally, type Outcome } from './support/load.js';
import { startDrill, type Drill } from './support/setup.js';

const TERMINATIONS = 5;

describe('drill: the database ends the backends of a node under load', () => {
  let drill: Drill;
  beforeAll(async () => {
    drill = await startDrill();
  });
  afterAll(() => drill?.close());

  it(`survives ${TERMINATIONS} terminations in a row: 2xx or 503 only, the next write within 1 s, no acknowledged write lost`, async () => {
    const load = startLoad(drill.session, { writers: 4, readers: 4 });
    const terminations: number[] = [];
    let terminated = 0;
    await sleep(1_500);
    for (let round = 0; round < TERMINATIONS && drill.pactum.alive(); round += 1) {
      terminations.push(Date.now());
      const rows = await drill.cluster.query<{ ended: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
          WHERE datname = 'pactum' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      terminated += rows[0]!.ended;
      await sleep(1_500);
    }
    const outcomes = await load.stop();
    const survived = drill.pactum.alive();

    const inFlightAtATermination = (o: Outcome) => terminations.some((at) => o.sentAt <= at && o.doneAt >= at);
    const unexplained = outcomes.filter(
      (o) => (o.error !== null && !inFlightAtATermination(o)) || (o.status !== null && !(o.status < 300 || o.status === 503)),
    );
    const nextWriteMs = terminations.map((at) => {
      const next = outcomes.filter((o) => o.kind === 'write' && o.id && o.sentAt >= at).sort((a, b) => a.doneAt - b.doneAt)[0];
      return next ? next.doneAt - at : Infinity;
    });
    const acknowledged = outcomes.filter((o) => o.id).map((o) => o.id!);
    const found = survived || drill.cluster ? await drill.vendorsFound(acknowledged) : 0;
    report('backend termination', {
      requests: outcomes.length,
      statuses: tally(outcomes),
      backendsTerminated: terminated,
      terminations: terminations.length,
      processSurvived: survived,
      processExit: survived ? null : (drill.pactum.child.exitCode ?? drill.pactum.child.signalCode),
      nextWriteMsAfterEachTermination: nextWriteMs,
      acknowledgedWrites: acknowledged.length,
      writesFound: found,
      unexplained: unexplained.slice(0, 5).map((o) => o.error ?? `${o.status} ${o.problemCode}`),
    });
    if (!survived) process.stdout.write(`  last output: ${drill.pactum.output().slice(-1500)}\n`);
    // An unexplained answer is a bug to find: show what the node logged as errors.
    if (unexplained.length > 0) {
      const errors = drill.pactum
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'));
      process.stdout.write(`  error lines: ${errors.slice(0, 5).join('\n')}\n`);
    }

    expect(survived, 'the process survives').toBe(true);
    expect(terminations).toHaveLength(TERMINATIONS);
    expect(unexplained, 'only 2xx or 503; resets only for requests in flight at a termination').toEqual([]);
    for (const ms of nextWriteMs) expect(ms, 'a write succeeds within 1 s of each termination').toBeLessThan(1_000);
    expect(found, 'every acknowledged write is in the database').toBe(acknowledged.length);
  });
});
