import pg from 'pg';
import type { Replication } from './engine.js';

/** A probe answers within about a second either way; a load balancer's probe timeout is a few seconds. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * The readiness check's own connection to the database, apart from the request pool: when every pooled
 * connection is busy the probe still reaches the server at once, so "unreachable" means unreachable; and
 * when the server is gone, the short connect, statement and query timeouts answer within about a second
 * instead of after the pool's own waits. Its connections are kept for reuse (a probe every few seconds must
 * not cost a new backend each time), dropped when idle.
 */
export function createReadinessProbe(connectionString: string) {
  const pool = new pg.Pool({
    connectionString,
    // Two: probes from two load balancers do not queue behind each other.
    max: 2,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    // Kept warm between probes: a probe that need not connect is not at the mercy of the connect timer.
    idleTimeoutMillis: 60_000,
    statement_timeout: PROBE_TIMEOUT_MS,
    application_name: 'pactum readiness',
  });
  // An idle probe connection that the server ends must not crash the process; the next probe reconnects.
  // pool.query() itself listens for errors on the connection it has checked out.
  pool.on('error', () => {});
  return {
    async replication(): Promise<Replication> {
      const { rows } = await withinDeadline(
        pool.query<{ standbys: number; max_lag_seconds: number | null }>('SELECT * FROM pactum_replication_status()'),
        PROBE_TIMEOUT_MS + 500,
      );
      const row = rows[0] ?? { standbys: 0, max_lag_seconds: null };
      return { standbys: row.standbys, maxLagSeconds: row.max_lag_seconds };
    },
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}

/**
 * Gives up on an answer that has not come within `ms` — a server that accepted the connection and went
 * silent (a partition). The verdict waits for setImmediate: a timer that fires late because the event
 * loop was busy (a saturated node) runs before that loop turn reads its sockets, and an answer already
 * waiting there must count, or a busy node would call a reachable database unreachable.
 */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new Error(`the database did not answer the readiness probe within ${ms} ms`));
        }),
      ms,
    );
    work.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
