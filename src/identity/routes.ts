import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { NoContent } from '../http/schema-types.js';
import { deliver } from './challenges.js';
import { settle } from './committed.js';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.js';
import { startPhoneChange } from './phone-change.js';
import * as schemas from './schemas.js';
import * as identity from './service.js';
import type { Client, IdentityDeps } from './service.js';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import type { SessionCookies } from './sessions.js';
import type { BillingSummaryOf } from '../billing/setup.js';

export interface IdentityRouteOptions {
  deps: IdentityDeps;
  cookies: SessionCookies;
  withSession: AuditingSessionGuard;
  /** Per-client-IP requests per minute on the sign-in routes, a first brake before the database counters. */
  authRateLimitPerMinute: number;
  /** The tenant's billing for GET /api/v1/me (`{ enabled: false }` with billing off). */
  billingSummary: BillingSummaryOf;
}

export function clientOf(request: FastifyRequest): Client {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
}

const RESET_ACCEPTED = {
  detail: 'If this address belongs to an active account, a link to reset its password is on its way. It works once, for 30 minutes.',
};

/** Signup, login with a phone code, sessions, recovery. Thin: every rule lives in the services. */
export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRouteOptions> = async (
  app,
  { deps, cookies, withSession, authRateLimitPerMinute, billingSummary },
) => {
  const strict = { rateLimit: { max: authRateLimitPerMinute, timeWindow: '1 minute' } };
  // The doors in: reachable without a session (every other /api route needs one; see http/authentication-gate.ts).
  const publicStrict = { ...strict, public: true };
  // Verify and resend are public, yet step-up and phone-change codes belong to the session that asked.
  const sessionIdOf = async (request: FastifyRequest) => {
    const token = cookies.read(request);
    return token ? identity.liveSessionId(deps, token) : null;
  };

  app.post('/api/v1/signup', {
    config: {
      ...publicStrict,
      problems: ['invalid_phone', 'unsupported_country', 'weak_password', 'channel_unavailable', 'delivery_failed'],
    },
    schema: {
      summary: 'Sign a new company up',
      operationId: 'signup',
      tags: ['Identity'],
      body: schemas.SignupBody,
      response: { 201: schemas.ChallengeResponse },
    },
    handler: async (request, reply) => reply.status(201).send({ challenge: await identity.signup(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/auth/login', {
    config: { ...publicStrict, problems: ['invalid_credentials', 'delivery_failed'] },
    schema: {
      summary: 'Start signing in with e-mail and password',
      operationId: 'login',
      tags: ['Identity'],
      body: schemas.LoginBody,
      response: { 200: schemas.ChallengeResponse },
    },
    handler: async (request) => ({ challenge: await identity.login(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/auth/challenges/:id/verify', {
    config: { ...publicStrict, problems: ['invalid_code', 'challenge_expired', 'invitation_expired'] },
    schema: {
      summary: 'Verify a phone code',
      operationId: 'verifyChallenge',
      tags: ['Identity'],
      params: schemas.ChallengeParams,
      body: schemas.VerifyBody,
      response: { 200: schemas.VerifiedResponse },
    },
    handler: async (request, reply) => {
      const sessionId = await sessionIdOf(request);
      const { sessionToken, ...verified } = await identity.verifyChallenge(deps, request.params.id, request.body.code, {
        ...clientOf(request),
        sessionId,
      });
      if (sessionToken) cookies.set(reply, sessionToken);
      return verified;
    },
  });

  app.post('/api/v1/auth/challenges/:id/resend', {
    config: { ...publicStrict, problems: ['challenge_expired', 'channel_unavailable', 'delivery_failed'] },
    schema: {
      summary: 'Send a phone code again',
      operationId: 'resendChallenge',
      tags: ['Identity'],
      params: schemas.ChallengeParams,
      body: schemas.ResendBody,
      response: { 202: schemas.ChallengeResponse },
    },
    handler: async (request, reply) => {
      const sessionId = await sessionIdOf(request);
      const challenge = await identity.resendChallenge(deps, request.params.id, request.body?.channel, { ...clientOf(request), sessionId });
      return reply.status(202).send({ challenge });
    },
  });

  app.post(
    '/api/v1/auth/logout',
    {
      config: { public: true },
      schema: { summary: 'Sign out of this session', operationId: 'logout', tags: ['Identity'], response: { 204: NoContent } },
    },
    async (request, reply) => {
      const token = cookies.read(request);
      if (token) await identity.logout(deps, token, clientOf(request));
      cookies.clear(reply);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/logout-all',
    {
      schema: { summary: 'Sign out of every session', operationId: 'logoutEverywhere', tags: ['Identity'], response: { 204: NoContent } },
    },
    async (request, reply) => {
      await withSession(request, (tx, actor) => identity.logoutEverywhere(tx, actor, clientOf(request)));
      cookies.clear(reply);
      return reply.status(204).send(null);
    },
  );

  app.post('/api/v1/auth/step-up', {
    config: { ...strict, problems: ['not_found', 'delivery_failed'] },
    schema: {
      summary: 'Confirm it is you with a new phone code',
      operationId: 'startStepUp',
      tags: ['Identity'],
      response: { 200: schemas.ChallengeResponse },
    },
    handler: async (request) => {
      // A refused step-up (too many codes) is audited on its own; wrong codes are audited by verify.
      const attempt = { action: 'auth.step_up_refused' as const };
      const pending = await withSession.auditingRefusal(request, attempt, (tx, actor) =>
        identity.startStepUp(tx, deps, actor, clientOf(request)),
      );
      return { challenge: await deliver(deps, pending) };
    },
  });

  app.post('/api/v1/auth/password', {
    config: { ...strict, problems: ['not_found', 'weak_password', 'invalid_credentials'] },
    schema: {
      summary: 'Change your password',
      operationId: 'changePassword',
      tags: ['Identity'],
      body: schemas.ChangePasswordBody,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      settle(await withSession(request, (tx, actor) => identity.changePassword(tx, deps, actor, request.body, clientOf(request))));
      return reply.status(204).send(null);
    },
  });

  app.post('/api/v1/auth/password-reset', {
    config: publicStrict,
    schema: {
      summary: 'Ask for a password reset link',
      operationId: 'requestPasswordReset',
      tags: ['Identity'],
      body: schemas.PasswordResetBody,
      response: { 202: schemas.PasswordResetAccepted },
    },
    handler: async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, clientOf(request));
      return reply.status(202).send(RESET_ACCEPTED);
    },
  });

  app.post('/api/v1/auth/password-reset/confirm', {
    config: { ...publicStrict, problems: ['token_expired', 'weak_password', 'delivery_failed'] },
    schema: {
      summary: 'Choose a new password with a reset link',
      operationId: 'confirmPasswordReset',
      tags: ['Identity'],
      body: schemas.PasswordResetConfirmBody,
      response: { 200: schemas.ChallengeResponse },
    },
    handler: async (request) => ({ challenge: await confirmPasswordReset(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/me/phone', {
    config: { ...strict, problems: ['not_found', 'invalid_credentials', 'invalid_phone', 'unsupported_country', 'delivery_failed'] },
    schema: {
      summary: 'Change your phone number',
      operationId: 'startPhoneChange',
      tags: ['Identity'],
      body: schemas.PhoneChangeBody,
      response: { 200: schemas.ChallengeResponse },
    },
    handler: async (request) => {
      const pending = settle(await withSession(request, (tx, actor) => startPhoneChange(tx, deps, actor, request.body, clientOf(request))));
      return { challenge: await deliver(deps, pending) };
    },
  });

  app.get('/api/v1/me', {
    config: { problems: ['not_found'] },
    schema: {
      summary: 'The signed-in user, company and groups',
      operationId: 'getMe',
      tags: ['Identity'],
      response: { 200: schemas.MeResponse },
    },
    handler: (request) =>
      withSession(request, async (tx, actor) => {
        const me = await identity.currentIdentity(tx, actor);
        return { ...me, tenant: { ...me.tenant, billing: await billingSummary(tx) } };
      }),
  });
};
