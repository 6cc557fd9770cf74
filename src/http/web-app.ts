import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProblemError } from './problem.js';

/** Where `npm run build` puts the web app (vite.config.ts: dist/web), next to the compiled server. */
export const DEFAULT_WEB_APP_DIR = fileURLToPath(new URL('../web', import.meta.url));

/** vite.config.ts stamps this on every tag that needs the page's nonce. */
const NONCE_PLACEHOLDER = 'pactum-csp-nonce';

const A_YEAR = 31_536_000;

/**
 * Serves the single-page application on the same origin as the API. Hashed assets under /assets/ are
 * cached for a year (their names change with their content); index.html is never stored, and carries a
 * fresh CSP nonce per load so the component library's style tags pass `style-src` without
 * 'unsafe-inline'. Client-side routes (/contracts/…, /invitations/{token}, /password-reset/{token}) get
 * index.html; nothing under /api/ ever does — an unknown API path stays a problem+json 404.
 */
export async function registerWebApp(app: FastifyInstance, webAppDir: string = DEFAULT_WEB_APP_DIR) {
  const indexFile = join(webAppDir, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn({ webAppDir }, 'web app not built: run `npm run build`; serving the API only');
    return;
  }
  const indexHtml = readFileSync(indexFile, 'utf8');

  await app.register(fastifyStatic, {
    root: webAppDir,
    prefix: '/',
    index: false,
    wildcard: false, // Our catch-all below decides what an unknown path is.
    globIgnore: ['index.html'], // Only ever sent with its nonce, by the routes below.
    setHeaders: (reply, path) => {
      const hashed = path.startsWith(join(webAppDir, 'assets'));
      reply.header('cache-control', hashed ? `public, max-age=${A_YEAR}, immutable` : 'public, max-age=3600');
    },
  });

  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(indexHtml.replaceAll(NONCE_PLACEHOLDER, reply.allowPageNonce()));

  const routeOptions = { config: { public: true } };
  app.get('/', routeOptions, sendIndex);
  app.get('/*', routeOptions, (request, reply) => {
    if (request.url.startsWith('/api/') || request.url === '/api')
      throw new ProblemError(404, 'not_found', 'Nothing here, or nothing you may see.');
    return sendIndex(request, reply);
  });
}
