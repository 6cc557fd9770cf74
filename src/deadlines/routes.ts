import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as deadlines from './service.js';

/** Upcoming notice and end dates of the contracts the caller can see (a bare array, as API.md shows). */
export const deadlineRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/deadlines', {
    schema: {
      summary: 'Upcoming notice and end dates',
      operationId: 'listDeadlines',
      tags: ['Licences'],
      querystring: schemas.DeadlineQuery,
      response: { 200: schemas.DeadlineList },
    },
    handler: (request) => withSession.scoped(request, (tx) => deadlines.listDeadlines(tx, request.query)),
  });
};
