import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/** The routes reachable without a session; every other /api route must refuse an anonymous caller. */
const PUBLIC_ROUTES = new Set([
  'POST /api/v1/signup',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/challenges/:id/verify',
  'POST /api/v1/auth/challenges/:id/resend',
  'POST /api/v1/auth/password-reset',
  'POST /api/v1/auth/password-reset/confirm',
  'POST /api/v1/invitations/:token/accept',
  // The API's description and its human-readable reference: the same for everyone, no data (openapi.test.ts).
  'GET /api/v1/openapi.json',
  'GET /api/docs',
  'GET /api/docs/',
  'GET /api/docs/json',
  'GET /api/docs/yaml',
  'GET /api/docs/static/index.html',
  'GET /api/docs/static/swagger-initializer.js',
  'GET /api/docs/*',
]);

/** Every route the app registered, read from Fastify's own route tree (so a new route is covered at once). */
export function registeredRoutes(app: FastifyInstance): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) routes.push({ method, path: stack.join('') });
  }
  return routes;
}

const concrete = (path: string) => path.replace(/:id|:userId/g, randomUUID()).replace(':token', 'a'.repeat(43));

describe(`every API route refuses callers it must not serve (${engineName})`, () => {
  let t: TestApp;
  let routes: Array<{ method: string; path: string }>;
  let stranger: Registered;
  beforeAll(async () => {
    t = await startTestApp();
    routes = registeredRoutes(t.app).filter((route) => route.path.startsWith('/api/'));
    stranger = await registerCompany(t);
  });
  afterAll(() => t.close());

  it('finds the routes (the parser cannot silently find nothing)', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContainEqual({ method: 'GET', path: '/api/v1/contracts/:id' });
    expect(routes).toContainEqual({ method: 'PUT', path: '/api/v1/groups/:id/members/:userId' });
    for (const key of PUBLIC_ROUTES) expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(key);
  });

  it('answers 401 unauthenticated to an anonymous caller on every non-public route, before validating anything', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (PUBLIC_ROUTES.has(`${route.method} ${route.path}`)) continue;
      const response = await t.app.inject({
        method: route.method as 'GET',
        url: concrete(route.path),
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
      });
      if (response.statusCode !== 401 || response.json().code !== 'unauthenticated')
        failures.push(`${route.method} ${route.path} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 to a forged or ended session cookie on every non-public route', async () => {
    const forged = new Client(t);
    forged.cookie = 'x'.repeat(43);
    const failures: string[] = [];
    for (const route of routes) {
      if (PUBLIC_ROUTES.has(`${route.method} ${route.path}`)) continue;
      const response = await forged.request({
        method: route.method,
        url: concrete(route.path),
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
      });
      // A body that fails validation may be refused first (400); it must never be served.
      if (![400, 401].includes(response.statusCode)) failures.push(`${route.method} ${route.path} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('never answers 2xx with data to another company for ids it does not own (GET by random id)', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' && r.path.includes(':'))) {
      const response = await stranger.client.get(concrete(route.path));
      if (response.statusCode !== 404) failures.push(`${route.method} ${route.path} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });
});
