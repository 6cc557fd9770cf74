import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContext } from '../audit/request-context.js';
import type { Tx } from '../db/tenant-context.js';
import { IdParams, NoContent } from '../http/schema-types.js';
import { clientOf } from '../identity/routes.js';
import type { IdentityDeps } from '../identity/service.js';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import type { SessionCookies } from '../identity/sessions.js';
import type { Actor } from '../identity/actor.js';
import {
  acceptInvitation,
  inviteUser,
  reissueInvitation,
  reserveInvitation,
  reserveReissue,
  sendInvitation,
  type InvitationLimits,
} from './invitations.js';
import { revokeUser } from './revocation.js';
import * as schemas from './schemas.js';
import { endOwnSession, endSessionsOfUser, listOwnSessions } from './sessions.js';
import { listUsers, updateUser } from './users.js';

export interface TenancyRouteOptions {
  deps: IdentityDeps;
  cookies: SessionCookies;
  withSession: AuditingSessionGuard;
  authRateLimitPerMinute: number;
  invitationLimits: InvitationLimits;
}

/**
 * The team: users and their roles, invitations, revocation with hand-over, and sessions. Any user reads
 * the team; writes are the masters' (403 for a member: these routes are tenant-wide, nothing to hide);
 * an id of another tenant is 404 through row-level security. Role changes, revocation and ending someone's
 * sessions also need a recent authentication (403 reauthentication_required).
 */
export const tenancyRoutes: FastifyPluginAsyncTypebox<TenancyRouteOptions> = async (
  app,
  { deps, cookies, withSession, authRateLimitPerMinute, invitationLimits },
) => {
  app.get('/api/v1/users', {
    schema: {
      summary: "List the company's users",
      operationId: 'listUsers',
      tags: ['Team'],
      querystring: schemas.UserListQuery,
      response: { 200: schemas.UserList },
    },
    handler: (request) => withSession.scoped(request, (tx) => listUsers(tx, request.query)),
  });

  app.post('/api/v1/users', {
    config: { problems: ['forbidden', 'reauthentication_required', 'email_taken'] },
    schema: {
      summary: 'Invite a user',
      operationId: 'inviteUser',
      tags: ['Team'],
      body: schemas.InviteBody,
      response: { 201: schemas.InviteResponse },
    },
    handler: async (request, reply) => {
      // Counted first, in its own transaction; every refusal (429, 409 email_taken, …) is audited.
      const attempt = {
        action: 'invitation.refused' as const,
        details: { email: request.body.email.toLowerCase(), role: request.body.role ?? 'member' },
      };
      await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        reserveInvitation(tx, deps, actor, request.body, invitationLimits),
      );
      const { mail, ...invited } = await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        inviteUser(tx, deps, actor, request.body, auditContext(request, actor)),
      );
      sendInvitation(deps, mail);
      return reply.status(201).send(invited);
    },
  });

  app.post('/api/v1/users/:id/invitation', {
    config: { problems: ['forbidden', 'reauthentication_required', 'invalid_transition', 'email_taken'] },
    schema: {
      summary: 'A fresh invitation link for a user whose invitation is pending; the earlier link stops working',
      operationId: 'reissueInvitation',
      tags: ['Team'],
      params: IdParams,
      response: { 201: schemas.Invitation },
    },
    handler: async (request, reply) => {
      // Counted and audited exactly like a new invitation (POST /api/v1/users).
      const attempt = {
        action: 'invitation.refused' as const,
        target: { type: 'user', id: request.params.id },
        details: { reissue: true },
      };
      await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        reserveReissue(tx, deps, actor, request.params.id, invitationLimits),
      );
      const { mail, invitation } = await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        reissueInvitation(tx, deps, actor, request.params.id, auditContext(request, actor)),
      );
      sendInvitation(deps, mail);
      return reply.status(201).send(invitation);
    },
  });

  app.patch('/api/v1/users/:id', {
    config: { problems: ['forbidden', 'reauthentication_required', 'last_master', 'invalid_transition'] },
    schema: {
      summary: 'Rename a user or change their role',
      operationId: 'updateUser',
      tags: ['Team'],
      params: IdParams,
      body: schemas.UserPatch,
      response: { 200: schemas.User },
    },
    handler: (request) => {
      const update = (tx: Tx, actor: Actor) => updateUser(tx, actor, request.params.id, request.body, auditContext(request, actor));
      if (request.body.role === undefined) return withSession(request, update);
      const attempt = {
        action: 'user.role_change_refused' as const,
        target: { type: 'user', id: request.params.id },
        details: { role: request.body.role },
      };
      return withSession.auditingRefusal(request, attempt, update);
    },
  });

  app.post('/api/v1/users/:id/revoke', {
    config: { problems: ['forbidden', 'reauthentication_required', 'handover_required', 'last_master', 'invalid_transition'] },
    schema: {
      summary: 'Revoke a user, handing their contracts over',
      operationId: 'revokeUser',
      tags: ['Team'],
      params: IdParams,
      body: schemas.RevokeBody,
      response: { 200: schemas.RevokeResponse },
    },
    // Without a successor the body may be left out altogether.
    preValidation: async (request) => {
      request.body ??= {};
    },
    handler: (request) => {
      const { successorId } = request.body;
      const attempt = {
        action: 'user.revoke_refused' as const,
        target: { type: 'user', id: request.params.id },
        details: successorId ? { successorId } : {},
      };
      return withSession.auditingRefusal(request, attempt, (tx, actor) =>
        revokeUser(tx, actor, request.params.id, request.body, auditContext(request, actor)),
      );
    },
  });

  app.post('/api/v1/users/:id/sessions/end', {
    config: { problems: ['forbidden', 'reauthentication_required'] },
    schema: {
      summary: 'End every session of a user',
      operationId: 'endUserSessions',
      tags: ['Team'],
      params: IdParams,
      response: { 200: schemas.SessionsEnded },
    },
    handler: (request) =>
      withSession(request, (tx, actor) => endSessionsOfUser(tx, actor, request.params.id, auditContext(request, actor))),
  });

  app.post('/api/v1/invitations/:token/accept', {
    config: {
      problems: ['invitation_expired', 'invalid_phone', 'unsupported_country', 'weak_password', 'delivery_failed'],
      rateLimit: { max: authRateLimitPerMinute, timeWindow: '1 minute' },
      public: true,
    },
    schema: {
      summary: 'Accept an invitation',
      operationId: 'acceptInvitation',
      tags: ['Team'],
      params: schemas.InvitationParams,
      body: schemas.AcceptBody,
      response: { 201: schemas.ChallengeResponse },
    },
    handler: async (request, reply) =>
      reply.status(201).send({ challenge: await acceptInvitation(deps, request.params.token, request.body, clientOf(request)) }),
  });

  app.get('/api/v1/sessions', {
    schema: {
      summary: 'List your sessions',
      operationId: 'listSessions',
      tags: ['Team'],
      querystring: schemas.SessionListQuery,
      response: { 200: schemas.SessionList },
    },
    handler: (request) => withSession(request, (tx, actor) => listOwnSessions(tx, actor, request.query)),
  });

  app.delete('/api/v1/sessions/:id', {
    schema: {
      summary: 'End one of your sessions',
      operationId: 'endSession',
      tags: ['Team'],
      params: IdParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      const { current } = await withSession(request, (tx, actor) =>
        endOwnSession(tx, actor, request.params.id, auditContext(request, actor)),
      );
      if (current) cookies.clear(reply);
      return reply.status(204).send(null);
    },
  });
};
