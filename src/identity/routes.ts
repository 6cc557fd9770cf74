import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
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
    config: publicStrict,
    schema: { body: schemas.SignupBody, response: { 201: schemas.ChallengeResponse } },
    handler: async (request, reply) => reply.status(201).send({ challenge: await identity.signup(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/auth/login', {
    config: publicStrict,
    schema: { body: schemas.LoginBody, response: { 200: schemas.ChallengeResponse } },
    handler: async (request) => ({ challenge: await identity.login(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/auth/challenges/:id/verify', {
    config: publicStrict,
    schema: { params: schemas.ChallengeParams, body: schemas.VerifyBody, response: { 200: schemas.VerifiedResponse } },
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
    config: publicStrict,
    schema: { params: schemas.ChallengeParams, body: schemas.ResendBody, response: { 202: schemas.ChallengeResponse } },
    handler: async (request, reply) => {
      const sessionId = await sessionIdOf(request);
      const challenge = await identity.resendChallenge(deps, request.params.id, request.body?.channel, { ...clientOf(request), sessionId });
      return reply.status(202).send({ challenge });
    },
  });

  app.post('/api/v1/auth/logout', { config: { public: true } }, async (request, reply) => {
    const token = cookies.read(request);
    if (token) await identity.logout(deps, token, clientOf(request));
    cookies.clear(reply);
    return reply.status(204).send();
  });

  app.post('/api/v1/auth/logout-all', async (request, reply) => {
    await withSession(request, (tx, actor) => identity.logoutEverywhere(tx, actor, clientOf(request)));
    cookies.clear(reply);
    return reply.status(204).send();
  });

  app.post('/api/v1/auth/step-up', {
    config: strict,
    schema: { response: { 200: schemas.ChallengeResponse } },
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
    config: strict,
    schema: { body: schemas.ChangePasswordBody },
    handler: async (request, reply) => {
      settle(await withSession(request, (tx, actor) => identity.changePassword(tx, deps, actor, request.body, clientOf(request))));
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/password-reset', {
    config: publicStrict,
    schema: { body: schemas.PasswordResetBody, response: { 202: schemas.PasswordResetAccepted } },
    handler: async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, clientOf(request));
      return reply.status(202).send(RESET_ACCEPTED);
    },
  });

  app.post('/api/v1/auth/password-reset/confirm', {
    config: publicStrict,
    schema: { body: schemas.PasswordResetConfirmBody, response: { 200: schemas.ChallengeResponse } },
    handler: async (request) => ({ challenge: await confirmPasswordReset(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/me/phone', {
    config: strict,
    schema: { body: schemas.PhoneChangeBody, response: { 200: schemas.ChallengeResponse } },
    handler: async (request) => {
      const pending = settle(await withSession(request, (tx, actor) => startPhoneChange(tx, deps, actor, request.body, clientOf(request))));
      return { challenge: await deliver(deps, pending) };
    },
  });

  app.get('/api/v1/me', {
    schema: { response: { 200: schemas.MeResponse } },
    handler: (request) =>
      withSession(request, async (tx, actor) => {
        const me = await identity.currentIdentity(tx, actor);
        return { ...me, tenant: { ...me.tenant, billing: await billingSummary(tx) } };
      }),
  });
};
