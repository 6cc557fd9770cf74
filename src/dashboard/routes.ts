import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as dashboard from './service.js';

/** The signed-in start page: any active user, each seeing only what row-level security lets them see. */
export const dashboardRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/dashboard', {
    schema: {
      summary: 'Counts, spend per vendor, the next deadlines and the newest pending proposals',
      tags: ['dashboard'],
      response: { 200: schemas.Dashboard },
    },
    handler: (request) => withSession.scoped(request, (tx) => dashboard.dashboard(tx)),
  });
};
