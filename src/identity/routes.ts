import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { deliver } from './challenges.js';
import * as schemas from './schemas.js';
import * as identity from './service.js';
import type { IdentityDeps } from './service.js';
import type { SessionCookies, SessionGuard } from './sessions.js';

export interface IdentityRouteOptions {
  deps: IdentityDeps;
  cookies: SessionCookies;
  withSession: SessionGuard;
  /** Per-client-IP requests per minute on the sign-in routes, a first brake before the database counters. */
  authRateLimitPerMinute: number;
}

function clientOf(request: FastifyRequest) {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

/** Signup, login with a phone code, sessions. Thin: every rule lives in service.ts. */
export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRouteOptions> = async (app, { deps, cookies, withSession, authRateLimitPerMinute }) => {
  const strict = { rateLimit: { max: authRateLimitPerMinute, timeWindow: '1 minute' } };

  app.post('/api/v1/signup', {
    config: strict,
    schema: { body: schemas.SignupBody, response: { 201: schemas.ChallengeResponse } },
    handler: async (request, reply) => reply.status(201).send({ challenge: await identity.signup(deps, request.body) }),
  });

  app.post('/api/v1/auth/login', {
    config: strict,
    schema: { body: schemas.LoginBody, response: { 200: schemas.ChallengeResponse } },
    handler: async (request) => ({ challenge: await identity.login(deps, request.body, clientOf(request)) }),
  });

  app.post('/api/v1/auth/challenges/:id/verify', {
    config: strict,
    schema: { params: schemas.ChallengeParams, body: schemas.VerifyBody, response: { 200: schemas.VerifiedResponse } },
    handler: async (request, reply) => {
      const token = cookies.read(request);
      const sessionId = token ? await identity.liveSessionId(deps, token) : null;
      const verified = await identity.verifyChallenge(deps, request.params.id, request.body.code, { ...clientOf(request), sessionId });
      if (verified.sessionToken) cookies.set(reply, verified.sessionToken);
      return { user: verified.user, tenant: verified.tenant };
    },
  });

  app.post('/api/v1/auth/challenges/:id/resend', {
    config: strict,
    schema: { params: schemas.ChallengeParams, body: schemas.ResendBody, response: { 202: schemas.ChallengeResponse } },
    handler: async (request, reply) =>
      reply.status(202).send({ challenge: await identity.resendChallenge(deps, request.params.id, request.body?.channel) }),
  });

  app.post('/api/v1/auth/logout', async (request, reply) => {
    const token = cookies.read(request);
    if (token) await identity.logout(deps, token);
    cookies.clear(reply);
    return reply.status(204).send();
  });

  app.post('/api/v1/auth/logout-all', async (request, reply) => {
    await withSession(request, (tx, actor) => identity.logoutEverywhere(tx, actor));
    cookies.clear(reply);
    return reply.status(204).send();
  });

  app.post('/api/v1/auth/step-up', {
    config: strict,
    schema: { response: { 200: schemas.ChallengeResponse } },
    handler: async (request) => {
      const pending = await withSession(request, (tx, actor) => identity.startStepUp(tx, deps, actor));
      return { challenge: await deliver(deps, pending) };
    },
  });

  app.post('/api/v1/auth/password', {
    config: strict,
    schema: { body: schemas.ChangePasswordBody },
    handler: async (request, reply) => {
      await withSession(request, (tx, actor) => identity.changePassword(tx, deps, actor, request.body));
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/me', {
    schema: { response: { 200: schemas.MeResponse } },
    handler: (request) => withSession(request, (tx, actor) => identity.currentIdentity(tx, actor)),
  });
};
