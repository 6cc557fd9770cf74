import helmet from '@fastify/helmet';
import '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from './problem.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Browser-facing hardening: strict headers on every response, no caching of API answers, and the CSRF
 * rule from API.md — a state-changing request carrying the session cookie must come from our own
 * origin. A request from elsewhere that announces its Origin is refused too, cookie or not.
 */
export async function registerSecurity(app: FastifyInstance, options: { publicUrl: URL; sessionCookieName: string }) {
  const https = options.publicUrl.protocol === 'https:';
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // Named, not inherited from default-src: the web app's index.html adds a per-load nonce to both
        // (src/http/web-app.ts), and a directive that exists only as a nonce would drop 'self'.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: https ? { maxAge: 63_072_000, includeSubDomains: true, preload: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    const hasSessionCookie = request.cookies?.[options.sessionCookieName] !== undefined;
    if ((hasSessionCookie || origin !== undefined) && origin !== options.publicUrl.origin) {
      throw new ProblemError(403, 'origin_mismatch', `State-changing requests must come from ${options.publicUrl.origin}.`);
    }
  });
}
