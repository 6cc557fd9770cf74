import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ReminderJob, RunResult } from '../../src/reminders/job.js';
import { startScheduler } from '../../src/reminders/scheduler.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fakeJob(run: () => Promise<RunResult> = async () => ({ ran: true, sent: 0, failed: 0 })) {
  const calls = { runs: 0, releases: 0, concurrent: 0, maxConcurrent: 0 };
  const job: ReminderJob = {
    holder: 'fake',
    async runOnce() {
      calls.runs += 1;
      calls.concurrent += 1;
      calls.maxConcurrent = Math.max(calls.maxConcurrent, calls.concurrent);
      try {
        return await run();
      } finally {
        calls.concurrent -= 1;
      }
    },
    async release() {
      calls.releases += 1;
    },
  };
  return { job, calls };
}

function logger() {
  const lines: string[] = [];
  return { lines, logger: pino(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })) };
}

describe('reminder scheduler', () => {
  it('runs at start, then on every tick, and stops for good, releasing the lease', async () => {
    const { job, calls } = fakeJob();
    const scheduler = startScheduler({ job, logger: logger().logger, intervalMs: 20 });
    expect(calls.runs).toBe(1);
    await sleep(110);
    expect(calls.runs).toBeGreaterThanOrEqual(3);
    await scheduler.stop();
    const runs = calls.runs;
    expect(calls.releases).toBe(1);
    await sleep(60);
    expect(calls.runs).toBe(runs);
  });

  it('never overlaps runs and waits for the one in progress when stopping', async () => {
    let finish!: () => void;
    const { job, calls } = fakeJob(() => new Promise((resolve) => (finish = () => resolve({ ran: true, sent: 1, failed: 0 }))));
    const scheduler = startScheduler({ job, logger: logger().logger, intervalMs: 10 });
    await sleep(60);
    expect(calls.runs).toBe(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(calls.maxConcurrent).toBe(1);
    expect(calls.releases).toBe(1);
  });

  it('logs a failed run and tries again at the next tick', async () => {
    let fail = true;
    const { job, calls } = fakeJob(async () => {
      if (fail) {
        fail = false;
        throw new Error('database unreachable');
      }
      return { ran: true, sent: 0, failed: 0 };
    });
    const log = logger();
    const scheduler = startScheduler({ job, logger: log.logger, intervalMs: 15 });
    await sleep(60);
    await scheduler.stop();
    expect(calls.runs).toBeGreaterThanOrEqual(2);
    expect(log.lines.some((line) => line.includes('database unreachable') && line.includes('"level":50'))).toBe(true);
  });
});
