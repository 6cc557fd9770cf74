import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PoolPressure } from '../db/engine.js';
import { sendProblem } from './errors.js';
import { ProblemError } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route answers under any load and never waits for the request pool (health probes). */
    loadShedding?: boolean;
  }
}

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  /** Requests queued for a database connection at which new requests are refused; 0: off. */
  maxPoolWaiting: number;
  /** The request pool's counters now; null where there is no pool (the embedded engine). */
  poolPressure: () => PoolPressure | null;
}

const RETRY_AFTER_SECONDS = 10;
/** One warning per episode of shedding, not one per refused request: a flood must not also flood the log. */
const LOG_EVERY_MS = 10_000;

const overloaded = (detail: string) => new ProblemError(503, 'overloaded', detail, {}, { 'retry-after': String(RETRY_AFTER_SECONDS) });

/**
 * Refuses new work with 503 `overloaded` + Retry-After before it is started, while the node is
 * saturated: event-loop delay, heap or resident memory over their limits (@fastify/under-pressure,
 * sampled each second), or too many requests already queued for a database connection (read from the
 * pool on every request, since a burst fills the queue within milliseconds). A refused request costs
 * the node almost nothing and tells the client to come back; an admitted one would only wait in the
 * pool queue until it timed out, and delay everyone behind it. Routes with `loadShedding: false` (the
 * health probes) are always served.
 */
export async function registerLoadShedding(app: FastifyInstance, options: LoadSheddingOptions) {
  let lastLogged = 0;
  const shed = (request: FastifyRequest, reply: FastifyReply, reason: string, figures: Record<string, number>) => {
    const now = Date.now();
    if (now - lastLogged >= LOG_EVERY_MS) {
      lastLogged = now;
      request.log.warn({ reason, ...figures }, 'shedding load: new requests are refused with 503 overloaded');
    }
    return sendProblem(reply, overloaded('The service is busy; try again shortly.'));
  };

  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    maxRssBytes: options.maxRssBytes,
    retryAfter: RETRY_AFTER_SECONDS,
    // Documented contract: a handler that sends nothing lets the request through.
    pressureHandler: (request, reply, type, value) => {
      if (request.routeOptions.config.loadShedding === false) return;
      shed(request, reply, type, { value: value ?? 0 });
    },
    exposeStatusRoute: false,
  });

  if (options.maxPoolWaiting <= 0) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.loadShedding === false) return;
    const pressure = options.poolPressure();
    if (pressure && pressure.waiting >= options.maxPoolWaiting) {
      return shed(request, reply, 'poolWaiting', { ...pressure });
    }
  });
}
