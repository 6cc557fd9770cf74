import helmet, { contentSecurityPolicy, type HelmetOptions } from 'helmet';
import '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ProblemError } from './problem.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Gives this response a fresh CSP nonce, allowed in `script-src` and `style-src`, and returns it: for
     * the web app's index.html, whose component library adds style tags at run time.
     */
    allowPageNonce(): string;
  }
}

/** The policy of every response; a page that needs inline style tags adds a nonce (allowPageNonce). */
function cspDirectives(https: boolean, nonce?: string) {
  const withNonce = (sources: string[]) => (nonce ? [...sources, `'nonce-${nonce}'`] : sources);
  return {
    defaultSrc: ["'self'"],
    // Named, not inherited from default-src, so that a nonce added to them keeps 'self'.
    scriptSrc: withNonce(["'self'"]),
    styleSrc: withNonce(["'self'"]),
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    ...(https ? { upgradeInsecureRequests: [] } : {}),
  };
}

/**
 * Browser-facing hardening: strict headers on every response, no caching of API answers, and the CSRF
 * rule from API.md — a state-changing request carrying the session cookie must come from our own
 * origin. A request from elsewhere that announces its Origin is refused too, cookie or not.
 */
export async function registerSecurity(app: FastifyInstance, options: { publicUrl: URL; sessionCookieName: string }) {
  const https = options.publicUrl.protocol === 'https:';
  const headerOptions: HelmetOptions = {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(https) },
    hsts: https ? { maxAge: 63_072_000, includeSubDomains: true, preload: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  };
  // Helmet itself, built once: @fastify/helmet rebuilt it (parsing the whole policy) for every request,
  // a tenth of the server's CPU when it answers thousands of refusals a second (saturation drill).
  const securityHeaders = helmet(headerOptions);
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)));

  app.decorateReply('allowPageNonce', function allowPageNonce() {
    const nonce = randomBytes(16).toString('hex');
    // Replaces the header the hook above set; only index.html asks, once per page load.
    contentSecurityPolicy({ useDefaults: false, directives: cspDirectives(https, nonce) })(this.request.raw, this.raw, () => {});
    return nonce;
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
