import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './errors.js';
import { ProblemError } from './problem.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Stops taking work, finishes what is in flight within a deadline, then closes the app (see registerDraining). */
    drain(options: DrainOptions): Promise<DrainOutcome>;
  }
}

export interface DrainOptions {
  /** In-flight requests and jobs get this long; then remaining connections are cut. */
  deadlineMs: number;
  /** Background work to stop alongside (the reminder job): each resolves once its run in progress ended. */
  jobs?: Array<() => Promise<void>>;
  /**
   * How long connections that are idle at the signal are kept open. A client may have written a request
   * that this process has not read yet; closing its "idle" connection at once would reset a request sent
   * before the signal. Within the grace it is answered (503) instead.
   */
  idleGraceMs?: number;
}

export interface DrainOutcome {
  /** True when the deadline passed with requests or jobs still running. */
  forced: boolean;
  elapsedMs: number;
}

/** Another node can take the request at once; a client retrying the same node soon meets a new process. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Shutdown in the order a load balancer and its clients can rely on:
 *
 * 1. stop accepting connections (the listening socket closes at once);
 * 2. answer requests that still arrive on open keep-alive connections with 503 `service_unavailable`
 *    (problem+json, Retry-After), and send `Connection: close` on every response from now on, so each
 *    client learns at its next answer that this connection ends — including the in-flight ones;
 * 3. let in-flight requests and background jobs finish, up to the deadline; connections that stayed
 *    silent through a short grace are then closed, and at the deadline every remaining one is cut;
 * 4. close the app (its onClose hooks). Closing the database pool is the caller's last step.
 *
 * Registered before the other request hooks so a draining node does no work for a refused request.
 */
export function registerDraining(app: FastifyInstance) {
  let draining = false;

  app.addHook('onRequest', async (request, reply) => {
    if (!draining) return;
    reply.header('connection', 'close');
    return sendProblem(
      reply,
      new ProblemError(
        503,
        'service_unavailable',
        'This node is shutting down; send the request again.',
        {},
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      ),
    );
  });

  app.addHook('onSend', async (request, reply) => {
    if (draining) reply.header('connection', 'close');
  });

  app.decorate('drain', async function drain(options: DrainOptions): Promise<DrainOutcome> {
    const started = Date.now();
    draining = true;
    const server = app.server;
    const graceMs = Math.min(options.idleGraceMs ?? 1_000, options.deadlineMs / 2);
    // net.Server#close (the documented base-class method) stops listening but, unlike http.Server#close,
    // leaves idle keep-alive connections open, for the grace above; it calls back once every connection ended.
    const connectionsEnded = server.listening
      ? new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()))
      : Promise.resolve();
    let reaper: NodeJS.Timeout | undefined;
    const graceTimer = setTimeout(() => {
      server.closeIdleConnections();
      // A connection turns idle without closing only if its last answer went out before the signal.
      reaper = setInterval(() => server.closeIdleConnections(), 100);
    }, graceMs);
    const work = Promise.allSettled([connectionsEnded, ...(options.jobs ?? []).map((stop) => stop())]);
    const deadline = new AbortController();
    const finished = await Promise.race([
      work.then(() => true),
      sleep(options.deadlineMs, false, { signal: deadline.signal }).catch(() => false),
    ]);
    deadline.abort();
    clearTimeout(graceTimer);
    clearInterval(reaper);
    if (!finished) server.closeAllConnections();
    await app.close();
    return { forced: !finished, elapsedMs: Date.now() - started };
  });
}
