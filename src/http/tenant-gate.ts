import { ProblemError } from './problem.js';

/**
 * Fair sharing of one node between tenants. Each tenant may run `concurrency` requests' transactions at
 * once; its further requests wait in its own queue (first come, first served), so one company's flood
 * queues behind itself while other companies' requests go straight through. A full queue answers 429
 * rate_limited at once, and a request that waited `queueTimeoutMs` without a turn 503 overloaded, both
 * with Retry-After. Per node and in memory: like the per-IP limiter, it protects the node and needs no
 * agreement between nodes.
 */
export interface TenantGateOptions {
  /** Requests of one tenant that hold a database transaction at the same time. */
  concurrency: number;
  /** Requests of one tenant that may wait for a turn; beyond that, 429. */
  queueLimit: number;
  /** How long a request may wait for a turn before it gives up with 503. */
  queueTimeoutMs: number;
}

export interface TenantGate {
  /** Runs work in one of the tenant's turns, waiting for one if all are taken. */
  run<T>(tenantId: string, work: () => Promise<T>): Promise<T>;
  /** Requests of the tenant running and waiting now (for logs and tests). */
  load(tenantId: string): { running: number; waiting: number };
}

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

export function createTenantGate(options: TenantGateOptions): TenantGate {
  // Only tenants with work in flight have a lane, so memory follows the load, not the number of tenants.
  const lanes = new Map<string, Lane>();

  const release = (tenantId: string, lane: Lane) => {
    const next = lane.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.start(); // the turn passes straight to the next waiter: running stays the same
      return;
    }
    lane.running -= 1;
    if (lane.running === 0) lanes.delete(tenantId);
  };

  const turn = (tenantId: string): Promise<Lane> => {
    let lane = lanes.get(tenantId);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      lanes.set(tenantId, lane);
    }
    if (lane.running < options.concurrency) {
      lane.running += 1;
      return Promise.resolve(lane);
    }
    if (lane.waiting.length >= options.queueLimit) {
      return Promise.reject(
        new ProblemError(
          429,
          'rate_limited',
          'Your company has too many requests in progress; try again shortly.',
          {},
          { 'retry-after': '1' },
        ),
      );
    }
    const waitingLane = lane;
    return new Promise<Lane>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => resolve(waitingLane),
        timer: setTimeout(() => {
          waitingLane.waiting.splice(waitingLane.waiting.indexOf(waiter), 1);
          reject(new ProblemError(503, 'overloaded', 'The service is busy; try again shortly.', {}, { 'retry-after': '5' }));
        }, options.queueTimeoutMs),
      };
      waitingLane.waiting.push(waiter);
    });
  };

  return {
    async run(tenantId, work) {
      const lane = await turn(tenantId);
      try {
        return await work();
      } finally {
        release(tenantId, lane);
      }
    },
    load(tenantId) {
      const lane = lanes.get(tenantId);
      return { running: lane?.running ?? 0, waiting: lane?.waiting.length ?? 0 };
    },
  };
}
