import type { FastifyPluginAsync } from 'fastify';
import type { BackupStatus } from '../backup/schedule.js';
import type { ReplicationReadiness } from '../config.js';
import type { Database } from '../db/engine.js';
import { replicationUnreadiness } from './replication-readiness.js';

/**
 * Liveness says the process serves: it touches nothing, so it answers under any load and while the
 * database is away (restarting a node would not bring the database back). Readiness says whether this
 * node can do work now — it asks the database over the probe's own connection, never the request pool —
 * and how far standbys lag. Neither is shed or rate-limited: a probe refused for load would take a busy
 * but working node out of rotation, or have it restarted.
 */
export const healthRoutes: FastifyPluginAsync<{
  database: Database;
  replicationReadiness: ReplicationReadiness;
  backupStatus?: () => BackupStatus;
}> = async (app, { database, replicationReadiness, backupStatus }) => {
  const probe = { rateLimit: false, loadShedding: false } as const;

  app.get('/healthz', { config: probe }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: probe }, async (request, reply) => {
    try {
      const { replication, readOnly } = await database.readiness();
      // The scheduled backup's last outcome, as the backup job last read it (never a query here); null: none configured.
      const backup = backupStatus?.() ?? null;
      if (readOnly) {
        request.log.warn('not ready: the database is a standby in recovery (read-only); promote it or point this node at the primary');
        return reply.status(503).header('retry-after', '5').send({ database: 'read-only', replication, backup });
      }
      const notReady = replicationUnreadiness(replication, replicationReadiness);
      if (notReady !== null) {
        request.log.warn({ replication }, `not ready: ${notReady}`);
        return reply.status(503).header('retry-after', '5').send({ database: 'ok', replication, backup });
      }
      return { database: 'ok', replication, backup };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({ database: 'unreachable', replication: null, backup: backupStatus?.() ?? null });
    }
  });
};
