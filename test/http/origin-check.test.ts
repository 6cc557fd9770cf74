import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

// A loaded CI box can stall this process for a second; load shedding (503 overloaded) is not under test here.
const STEADY = { PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' };

describe(`the Origin rule for state-changing requests (${engineName})`, () => {
  let t: TestApp;
  let user: Registered;
  let cookie: string;
  beforeAll(async () => {
    t = await startTestApp(STEADY);
    user = await registerCompany(t);
    cookie = `pactum_session=${user.client.cookie!}`;
  });
  afterAll(() => t.close());

  const logoutAll = (headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: { cookie, ...headers } });

  async function stillSignedIn() {
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    return me.statusCode === 200;
  }

  it('refuses a cookie-authenticated POST without an Origin header, and does nothing', async () => {
    const response = await logoutAll({});
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 403, code: 'origin_mismatch' });
    expect(response.cookies).toEqual([]);
    expect(await stillSignedIn()).toBe(true);
  });

  it.each(['http://evil.example', 'null', 'http://localhost:3001', 'https://localhost:3000', `${ORIGIN}.evil.example`])(
    'refuses a cookie-authenticated POST from the origin %s',
    async (origin) => {
      const response = await logoutAll({ origin });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('origin_mismatch');
      expect(await stillSignedIn()).toBe(true);
    },
  );

  it('accepts a GET with the cookie and no Origin (navigation and same-origin reads)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().user.email).toBe(user.email);
  });

  it('refuses an anonymous POST that announces a foreign Origin, before any code is sent', async () => {
    const sent = t.twilio.messages.length;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'http://evil.example' },
      payload: { email: user.email, password: user.password },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('origin_mismatch');
    expect(t.twilio.messages.length).toBe(sent);
  });

  it('accepts an anonymous POST without an Origin (scripts and API clients carry no cookie)', async () => {
    const sent = t.twilio.messages.length;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: user.password },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(t.twilio.messages.length).toBe(sent + 1);
  });

  it('accepts the cookie-authenticated POST from our own origin, which then ends the session', async () => {
    const response = await logoutAll({ origin: ORIGIN });
    expect(response.statusCode, response.body).toBe(204);
    expect(await stillSignedIn()).toBe(false);
  });
});
