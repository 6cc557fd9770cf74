import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, startTestApp, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

// A loaded CI box can stall this process for a second; load shedding (503 overloaded) is not under test here.
const STEADY = { PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' };

const SECRET_SQL = 'SELECT secret FROM tenant_keys WHERE id = 42';

/** The RFC 9457 shape every failure shares, with our stable code. */
function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({
    status,
    code,
    type: expect.stringMatching(/^https?:\/\/\S+$/),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

function signupBody() {
  return { companyName: 'Problem Corp', name: 'Pat Problem', email: uniqueEmail(), phone: uniqueMobile(), password: STRONG_PASSWORD };
}

describe(`problem+json answers (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(STEADY, (app) => {
      app.get('/boom', async () => {
        const error = new Error(`relation "tenant_keys" does not exist: ${SECRET_SQL}`);
        error.stack = `Error: ${error.message}\n    at runQuery (/work/main/src/db/secret-module.ts:12:7)`;
        throw error;
      });
      app.get('/busy', async () => {
        throw Object.assign(new Error('upstream is busy'), { statusCode: 429 });
      });
    });
  });
  afterAll(() => t.close());

  it.each(['/api/v1/does-not-exist', '/nothing/here', '/api/v1/me/extra', '/api/v1/auth/challenges'])(
    'answers 404 not_found for the unknown path %s',
    async (url) => {
      expectProblem(await t.app.inject({ method: 'GET', url }), 404, 'not_found');
    },
  );

  it.each([
    ['bad percent-encoding', '/api/v1/%zz'],
    ['an over-long path parameter', `/api/v1/invitations/${'t0ken'.repeat(60)}/accept`],
  ])('answers a URL with %s as 404 not_found without quoting it', async (_name, url) => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await t.app.inject({ method, url, headers: { origin: ORIGIN }, ...(method === 'POST' ? { payload: {} } : {}) });
      expectProblem(response, 404, 'not_found');
      expect(response.body).not.toContain(url.slice(8, 30));
    }
  });

  it.each([
    ['DELETE', '/api/v1/me', ['GET']],
    ['POST', '/api/v1/me', ['GET']],
    ['GET', '/api/v1/signup', ['POST']],
    ['PUT', '/api/v1/auth/login', ['POST']],
    ['GET', '/api/v1/auth/challenges/4f0e8a52-8d52-4bd4-9e1c-9f1b7c3e2a10/verify', ['POST']],
  ])('answers %s %s with 405 method_not_allowed and an Allow header', async (method, url, allowed) => {
    const response = await t.app.inject({ method: method as 'GET', url, headers: { origin: ORIGIN } });
    expectProblem(response, 405, 'method_not_allowed');
    const allow = String(response.headers.allow ?? '')
      .split(',')
      .map((m) => m.trim());
    expect(allow).toEqual(expect.arrayContaining(allowed));
    expect(allow).not.toContain(method);
  });

  it('answers a body over 1 MiB with 413 payload_too_large', async () => {
    const payload = JSON.stringify({ ...signupBody(), name: 'x'.repeat(1024 * 1024 + 1) });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      payload,
    });
    expectProblem(response, 413, 'payload_too_large');
  });

  it.each([
    ['text/plain', JSON.stringify(signupBody())],
    ['application/x-www-form-urlencoded', 'companyName=Acme&name=Wile'],
    ['application/xml', '<signup/>'],
  ])('answers a %s body with 415 unsupported_media_type', async (contentType, payload) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { 'content-type': contentType, origin: ORIGIN },
      payload,
    });
    expectProblem(response, 415, 'unsupported_media_type');
  });

  it.each(['{"companyName": "Acme",', "{'single': 'quotes'}", '{"a":1}}'])(
    'answers the malformed JSON %s with 400 malformed_body',
    async (payload) => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/signup',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        payload,
      });
      expectProblem(response, 400, 'malformed_body');
    },
  );

  it('answers a JSON number where a string is expected with 400 validation_failed and the field path', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { origin: ORIGIN },
      payload: { ...signupBody(), companyName: 1234 },
    });
    const body = expectProblem(response, 400, 'validation_failed');
    expect(body.errors).toEqual(expect.arrayContaining([{ path: 'body:/companyName', message: expect.any(String) }]));
    expect(body.errors.every((e: { path: unknown }) => typeof e.path === 'string')).toBe(true);
  });

  it('answers an unexpected error with a generic 500 internal_error that reveals nothing', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/boom' });
    const body = expectProblem(response, 500, 'internal_error');
    expect(response.body).not.toContain('SELECT');
    expect(response.body).not.toContain('tenant_keys');
    expect(response.body).not.toContain('secret-module');
    expect(response.body).not.toMatch(/\bat \S+ \(/);
    expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
    // ...while the operator still finds the cause in the log.
    expect(t.logs.join('')).toContain('secret-module.ts');
  });

  it('announces its own Retry-After on a 429, never one the client sent', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/busy', headers: { 'retry-after': '86400' } });
    expectProblem(response, 429, 'rate_limited');
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThan(86400);
  });

  it('keeps the hardening headers on failures', async () => {
    for (const response of [
      await t.app.inject({ method: 'GET', url: '/boom' }),
      await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: { origin: ORIGIN } }),
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/signup',
        headers: { 'content-type': 'text/plain', origin: ORIGIN },
        payload: 'x',
      }),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(String(response.headers['content-security-policy'])).toContain("default-src 'self'");
    }
  });
});

describe(`the global rate limit (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...STEADY, PACTUM_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it('answers the sixth request in a minute with 429 rate_limited and Retry-After', async () => {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
      expect(response.statusCode, `request ${attempt}`).toBe(401);
    }
    const limited = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    const body = expectProblem(limited, 429, 'rate_limited');
    expect(body.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('leaves the liveness probe out of the limit', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
  });
});
