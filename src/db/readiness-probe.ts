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
    idleTimeoutMillis: 30_000,
    statement_timeout: PROBE_TIMEOUT_MS,
    // A server that accepted the connection and then went silent (a partition) is caught on our side.
    query_timeout: PROBE_TIMEOUT_MS + 500,
    application_name: 'pactum readiness',
  });
  // An idle probe connection that the server ends must not crash the process; the next probe reconnects.
  // pool.query() itself listens for errors on the connection it has checked out.
  pool.on('error', () => {});
  return {
    async replication(): Promise<Replication> {
      const { rows } = await pool.query<{ standbys: number; max_lag_seconds: number | null }>('SELECT * FROM pactum_replication_status()');
      const row = rows[0] ?? { standbys: 0, max_lag_seconds: null };
      return { standbys: row.standbys, maxLagSeconds: row.max_lag_seconds };
    },
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
