import '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { unauthenticated } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (signup, login, codes, resets, invitations). Everything else is not. */
    public?: boolean;
  }
}

/**
 * Deny by default: an API route answers 401 to a caller without a session cookie before it reads or
 * validates the body, unless the route declares itself public. The session itself is still checked by
 * the database in the request's transaction; this gate only makes "no session" fail first and uniformly.
 */
export function registerAuthenticationGate(app: FastifyInstance, sessionCookieName: string) {
  // preParsing: after the rate limiter (onRequest), before the body is read or validated.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.url.startsWith('/api/') || request.routeOptions.url === undefined) return payload;
    if (request.routeOptions.config.public === true) return payload;
    if (request.cookies[sessionCookieName] === undefined) throw unauthenticated();
    return payload;
  });
}
