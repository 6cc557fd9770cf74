import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContext } from '../audit/request-context.js';
import { IdParams, NoContent } from '../http/schema-types.js';
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
    schema: {
      summary: 'List access groups',
      operationId: 'listGroups',
      tags: ['Access groups'],
      querystring: schemas.GroupListQuery,
      response: { 200: schemas.GroupList },
    },
    handler: (request) => withSession.scoped(request, (tx) => groups.listGroups(tx, request.query)),
  });

  app.post('/api/v1/groups', {
    config: { problems: ['forbidden', 'name_taken'] },
    schema: {
      summary: 'Create an access group',
      operationId: 'createGroup',
      tags: ['Access groups'],
      body: schemas.GroupInput,
      response: { 201: schemas.Group },
    },
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(await withSession(request, (tx, actor) => groups.createGroup(tx, actor, auditContext(request, actor), request.body))),
  });

  app.get('/api/v1/groups/:id', {
    schema: {
      summary: 'Get an access group',
      operationId: 'getGroup',
      tags: ['Access groups'],
      params: IdParams,
      response: { 200: schemas.Group },
    },
    handler: (request) => withSession.scoped(request, (tx) => groups.getGroup(tx, request.params.id)),
  });

  app.patch('/api/v1/groups/:id', {
    config: { problems: ['forbidden', 'name_taken'] },
    schema: {
      summary: 'Update an access group',
      operationId: 'updateGroup',
      tags: ['Access groups'],
      params: IdParams,
      body: schemas.GroupPatch,
      response: { 200: schemas.Group },
    },
    handler: (request) =>
      withSession(request, (tx, actor) => groups.updateGroup(tx, actor, auditContext(request, actor), request.params.id, request.body)),
  });

  app.delete('/api/v1/groups/:id', {
    config: { problems: ['forbidden', 'group_in_use'] },
    schema: {
      summary: 'Delete an access group',
      operationId: 'deleteGroup',
      tags: ['Access groups'],
      params: IdParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await withSession(request, (tx, actor) => groups.deleteGroup(tx, actor, auditContext(request, actor), request.params.id));
      return reply.status(204).send(null);
    },
  });

  app.put('/api/v1/groups/:id/members/:userId', {
    config: { problems: ['forbidden', 'reauthentication_required'] },
    schema: {
      summary: 'Add a user to an access group',
      operationId: 'addGroupMember',
      tags: ['Access groups'],
      params: schemas.MemberParams,
      response: { 204: NoContent },
    },
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
    config: { problems: ['forbidden', 'reauthentication_required', 'handover_required'] },
    schema: {
      summary: 'Remove a user from an access group',
      operationId: 'removeGroupMember',
      tags: ['Access groups'],
      params: schemas.MemberParams,
      response: { 204: NoContent },
    },
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
