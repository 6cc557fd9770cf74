import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../db/engine.js';

/** Liveness says the process serves; readiness says it can reach its database and how far standbys lag. */
export const healthRoutes: FastifyPluginAsync<{ database: Database }> = async (app, { database }) => {
  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { rateLimit: false } }, async (request, reply) => {
    try {
      await sql`SELECT 1`.execute(database.kysely);
      const replication = await database.replication();
      return { database: 'ok', replication };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.status(503).send({ database: 'unreachable', replication: null });
    }
  });
};
