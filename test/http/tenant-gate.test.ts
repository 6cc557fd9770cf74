import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../src/http/problem.js';
import { createTenantGate } from '../../src/http/tenant-gate.js';

/** Work that runs until the test lets it finish. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the tenant gate: a company’s requests queue behind its own, not behind other companies’', () => {
  it('runs `concurrency` requests of a tenant, queues the next in order, and lets another tenant straight through', async () => {
    const gate = createTenantGate({ concurrency: 2, queueLimit: 10, queueTimeoutMs: 60_000 });
    const a = [held(), held(), held(), held()];
    const started: number[] = [];
    const runs = a.map((h, index) => gate.run('tenant-a', () => (started.push(index), h.work())));
    await settle();
    expect(started).toEqual([0, 1]);
    expect(gate.load('tenant-a')).toEqual({ running: 2, waiting: 2 });

    // Tenant B is not behind A's queue.
    await expect(gate.run('tenant-b', async () => 'b done')).resolves.toBe('b done');

    a[1]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    a[0]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    a[2]!.finish();
    a[3]!.finish();
    await Promise.all(runs);
    expect(gate.load('tenant-a')).toEqual({ running: 0, waiting: 0 });
  });

  it('answers 429 rate_limited with Retry-After when the tenant’s queue is full', async () => {
    const gate = createTenantGate({ concurrency: 1, queueLimit: 1, queueTimeoutMs: 60_000 });
    const first = held();
    const running = gate.run('t', first.work);
    const queued = gate.run('t', async () => 'queued ran');
    const refused = await gate.run('t', async () => 'never').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', headers: { 'retry-after': '1' } });
    first.finish();
    await running;
    await expect(queued).resolves.toBe('queued ran');
  });

  it('answers 503 overloaded when a request waited too long, and forgets it in the queue', async () => {
    const gate = createTenantGate({ concurrency: 1, queueLimit: 5, queueTimeoutMs: 20 });
    const first = held();
    const running = gate.run('t', first.work);
    let ran = false;
    const waited = await gate.run('t', async () => void (ran = true)).catch((error: unknown) => error);
    expect(waited).toMatchObject({ status: 503, code: 'overloaded', headers: { 'retry-after': '5' } });
    expect(gate.load('t')).toEqual({ running: 1, waiting: 0 });
    first.finish();
    await running;
    expect(ran).toBe(false);
    expect(gate.load('t')).toEqual({ running: 0, waiting: 0 });
  });

  it('gives the turn back when work fails', async () => {
    const gate = createTenantGate({ concurrency: 1, queueLimit: 0, queueTimeoutMs: 60_000 });
    await expect(gate.run('t', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run('t', async () => 'next')).resolves.toBe('next');
  });
});
