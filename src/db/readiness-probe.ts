import pg from 'pg';
import type { Replication } from './engine.js';

/** A probe answers within about a second either way; a load balancer's probe timeout is a few seconds. */
const PROBE_TIMEOUT_MS = 1_000;

const REPLICATION_STATUS = `
  SELECT pg_is_in_recovery() AS in_recovery,
         pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS readable,
         (count(*) FILTER (WHERE state = 'streaming'))::integer AS standbys,
         (max(extract(epoch FROM coalesce(replay_lag, interval '0'))) FILTER (WHERE state = 'streaming'))::double precision
           AS max_lag_seconds
    FROM pg_stat_replication`;

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
    /**
     * Whether the server is a read-only standby in recovery (a node started against it before promotion
     * ends, or pointed at the wrong server, would fail every write), and the standbys streaming from it
     * with their worst replay lag — or null when the login may not see them: without pg_read_all_stats
     * (pg_monitor has it) pg_stat_replication shows each row's pid only, and a hidden lag must not read as
     * none. A caught-up, idle standby reports NULL lag: that is no lag. Walsenders still catching up or
     * sending a base backup are not standbys one could fail over to.
     */
    async status(): Promise<{ replication: Replication | null; readOnly: boolean }> {
      const { rows } = await withinDeadline(
        pool.query<{ in_recovery: boolean; readable: boolean; standbys: number; max_lag_seconds: number | null }>(REPLICATION_STATUS),
        PROBE_TIMEOUT_MS + 500,
      );
      const row = rows[0]!;
      const replication = row.readable ? { standbys: row.standbys, maxLagSeconds: row.max_lag_seconds } : null;
      return { replication, readOnly: row.in_recovery };
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
