import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContext } from '../audit/request-context.js';
import { IdParams } from '../http/schema-types.js';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import * as groups from './service.js';
import * as schemas from './schemas.js';

/**
 * Access groups: any active user reads them; only masters write, and membership changes also need a
 * recent authentication. Which contracts a group reveals is the database's visibility policy, not ours.
 * A refused membership change is audited on its own (the refused transaction rolls back).
 */
export const groupRoutes: FastifyPluginAsyncTypebox<{ withSession: AuditingSessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/groups', {
    schema: { querystring: schemas.GroupListQuery, response: { 200: schemas.GroupList } },
    handler: (request) => withSession.scoped(request, (tx) => groups.listGroups(tx, request.query)),
  });

  app.post('/api/v1/groups', {
    schema: { body: schemas.GroupInput, response: { 201: schemas.Group } },
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(await withSession(request, (tx, actor) => groups.createGroup(tx, actor, auditContext(request, actor), request.body))),
  });

  app.get('/api/v1/groups/:id', {
    schema: { params: IdParams, response: { 200: schemas.Group } },
    handler: (request) => withSession.scoped(request, (tx) => groups.getGroup(tx, request.params.id)),
  });

  app.patch('/api/v1/groups/:id', {
    schema: { params: IdParams, body: schemas.GroupPatch, response: { 200: schemas.Group } },
    handler: (request) =>
      withSession(request, (tx, actor) => groups.updateGroup(tx, actor, auditContext(request, actor), request.params.id, request.body)),
  });

  app.delete('/api/v1/groups/:id', {
    schema: { params: IdParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      await withSession(request, (tx, actor) => groups.deleteGroup(tx, actor, auditContext(request, actor), request.params.id));
      return reply.status(204).send(null);
    },
  });

  app.put('/api/v1/groups/:id/members/:userId', {
    schema: { params: schemas.MemberParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const { id, userId } = request.params;
      const attempt = { action: 'group.member_add_refused' as const, target: { type: 'group', id }, details: { groupId: id, userId } };
      await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        groups.addMember(tx, actor, auditContext(request, actor), id, userId),
      );
      return reply.status(204).send(null);
    },
  });

  app.delete('/api/v1/groups/:id/members/:userId', {
    schema: { params: schemas.MemberParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const { id, userId } = request.params;
      const attempt = { action: 'group.member_remove_refused' as const, target: { type: 'group', id }, details: { groupId: id, userId } };
      await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        groups.removeMember(tx, actor, auditContext(request, actor), id, userId),
      );
      return reply.status(204).send(null);
    },
  });
};
