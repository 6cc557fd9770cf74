import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerCompany,
  startTestApp,
  STRONG_PASSWORD,
  uniqueEmail,
  uniqueMobile,
  type Client,
  type TestApp,
} from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

// A loaded CI box can stall this process for a second; load shedding (503 overloaded) is not under test here.
const STEADY = { PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' };

function expectBrowserHardening(response: LightMyRequestResponse) {
  const csp = String(response.headers['content-security-policy'] ?? '');
  const directives = csp.split(';').map((directive) => directive.trim());
  expect(directives).toEqual(
    expect.arrayContaining(["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]),
  );
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers).not.toHaveProperty('x-powered-by');
}

describe(`security headers on plain-http localhost (${engineName})`, () => {
  let t: TestApp;
  let signedIn: Client;
  beforeAll(async () => {
    t = await startTestApp(STEADY);
    signedIn = (await registerCompany(t)).client;
  });
  afterAll(() => t.close());

  const cases: Array<[string, () => Promise<LightMyRequestResponse>, number, boolean]> = [
    ['GET /healthz', () => t.app.inject({ method: 'GET', url: '/healthz' }), 200, false],
    ['GET /api/v1/me signed in', () => signedIn.get('/api/v1/me'), 200, true],
    ['an unknown API path', () => t.app.inject({ method: 'GET', url: '/api/v1/no-such-thing' }), 404, true],
    ['an unknown non-API path', () => t.app.inject({ method: 'GET', url: '/no-such-page' }), 404, false],
    ['GET /api/v1/me anonymous', () => t.app.inject({ method: 'GET', url: '/api/v1/me' }), 401, true],
    [
      'a 403 origin_mismatch',
      () => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { origin: 'http://evil.example' }, payload: {} }),
      403,
      true,
    ],
  ];

  it.each(cases)('sends the hardening headers on %s', async (_name, send, status) => {
    const response = await send();
    expect(response.statusCode, response.body).toBe(status);
    expectBrowserHardening(response);
  });

  it.each(cases)('sends no HSTS over http, and no-store exactly on API answers: %s', async (_name, send, _status, api) => {
    const response = await send();
    expect(response.headers).not.toHaveProperty('strict-transport-security');
    if (api) expect(response.headers['cache-control']).toBe('no-store');
    else expect(response.headers['cache-control']).toBeUndefined();
  });
});

describe(`security headers and the session cookie behind https (${engineName})`, () => {
  const origin = 'https://pactum.example.com';
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...STEADY, PACTUM_PUBLIC_URL: `${origin}/` });
  });
  afterAll(() => t.close());

  it('sends HSTS along with the other headers', async () => {
    for (const url of ['/healthz', '/api/v1/me', '/api/v1/nothing-here']) {
      const response = await t.app.inject({ method: 'GET', url });
      expectBrowserHardening(response);
      const hsts = String(response.headers['strict-transport-security'] ?? '');
      expect(hsts).toMatch(/max-age=(\d+)/);
      expect(Number(/max-age=(\d+)/.exec(hsts)![1])).toBeGreaterThanOrEqual(31_536_000);
    }
  });

  it('issues a __Host- session cookie that is Secure, HttpOnly, SameSite=Strict and Path=/', async () => {
    const phone = uniqueMobile();
    const signup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { origin },
      payload: { companyName: 'Secure Corp', name: 'Sam Secure', email: uniqueEmail(), phone, password: STRONG_PASSWORD },
    });
    expect(signup.statusCode, signup.body).toBe(201);
    const verified = await t.app.inject({
      method: 'POST',
      url: `/api/v1/auth/challenges/${signup.json().challenge.id}/verify`,
      headers: { origin },
      payload: { code: t.twilio.lastCodeFor(phone) },
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.cookies.map((c) => c.name)).toEqual(['__Host-pactum_session']);
    const cookie = verified.cookies[0]!;
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.domain).toBeUndefined();
    const raw = String(verified.headers['set-cookie']);
    expect(raw).toMatch(/;\s*Secure/i);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `__Host-pactum_session=${cookie.value}` } });
    expect(me.statusCode, me.body).toBe(200);
    // The http name means nothing on an https deployment.
    const wrongName = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `pactum_session=${cookie.value}` } });
    expect(wrongName.statusCode).toBe(401);
  });
});
