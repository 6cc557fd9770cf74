import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskUrl, redactedPaths } from '../../src/http/logging.js';
import { Client, ORIGIN, startTestApp, STRONG_PASSWORD, TWILIO, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

// A loaded CI box can stall this process for a second; load shedding (503 overloaded) is not under test here.
const STEADY = { PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' };

describe('maskUrl', () => {
  it.each([
    ['/api/v1/invitations/Zx8-kQ_2mNp4rT7vW9yB1cD3eF5gH6jK/accept', '/api/v1/invitations/[redacted]/accept'],
    ['/invitations/Zx8-kQ_2mNp4rT7vW9yB1cD3eF5gH6jK', '/invitations/[redacted]'],
    ['/api/v1/invitations/Zx8-kQ_2mNp4rT7vW9yB1cD3eF5gH6jK/accept?utm=mail', '/api/v1/invitations/[redacted]/accept?[redacted]'],
    ['/api/v1/contracts?q=secret%20deal&cursor=abc', '/api/v1/contracts?[redacted]'],
    ['/api/v1/me', '/api/v1/me'],
    [
      '/api/v1/auth/challenges/4f0e8a52-8d52-4bd4-9e1c-9f1b7c3e2a10/verify',
      '/api/v1/auth/challenges/4f0e8a52-8d52-4bd4-9e1c-9f1b7c3e2a10/verify',
    ],
  ])('masks %s as %s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  it('never lets the token through, whatever it looks like', () => {
    for (const token of ['abc', 'a.b.c', 'A'.repeat(200), '%2F..%2Fsecret', 'tok;en=1']) {
      expect(maskUrl(`/api/v1/invitations/${token}/accept`)).not.toContain(token);
    }
  });

  it('covers the places secrets could sit in a logged object', () => {
    expect(redactedPaths).toEqual(
      expect.arrayContaining(['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.authToken']),
    );
  });
});

describe(`nothing secret reaches the logs (${engineName})`, () => {
  let t: TestApp;
  const passwords = [STRONG_PASSWORD, 'wrong horse battery staple 99', 'unknown-user pass phrase 31'];
  const sessionCookies: string[] = [];
  const urls: string[] = [];
  let failedDelivery: { statusCode: number; body: Record<string, unknown> };

  beforeAll(async () => {
    t = await startTestApp({ ...STEADY, PACTUM_LOG_LEVEL: 'debug' });
    const email = uniqueEmail('logs');
    const phone = uniqueMobile();
    const client = new Client(t);
    const remember = async (request: Promise<Awaited<ReturnType<Client['get']>>>, url: string, status: number | 'client error') => {
      const response = await request;
      if (status === 'client error') expect(Math.floor(response.statusCode / 100), `${url}: ${response.body}`).toBe(4);
      else expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
      urls.push(url);
      if (client.cookie && !sessionCookies.includes(client.cookie)) sessionCookies.push(client.cookie);
      return response;
    };

    const signup = await remember(
      client.post('/api/v1/signup', { companyName: 'Quiet Logs AG', name: 'Lou Logger', email, phone, password: STRONG_PASSWORD }),
      '/api/v1/signup',
      201,
    );
    const signupVerify = `/api/v1/auth/challenges/${signup.json().challenge.id}/verify`;
    await remember(client.post(signupVerify, { code: t.twilio.lastCodeFor(phone) }), signupVerify, 200);
    await remember(client.post('/api/v1/auth/logout'), '/api/v1/auth/logout', 204);

    await remember(client.post('/api/v1/auth/login', { email, password: passwords[1] }), '/api/v1/auth/login', 401);
    await remember(client.post('/api/v1/auth/login', { email: uniqueEmail('nobody'), password: passwords[2] }), '/api/v1/auth/login', 401);
    const login = await remember(client.post('/api/v1/auth/login', { email, password: STRONG_PASSWORD }), '/api/v1/auth/login', 200);
    const loginVerify = `/api/v1/auth/challenges/${login.json().challenge.id}/verify`;
    const wrongCode = t.twilio.lastCodeFor(phone) === '000000' ? '111111' : '000000';
    await remember(client.post(loginVerify, { code: wrongCode }), loginVerify, 400);
    await remember(client.post(loginVerify, { code: t.twilio.lastCodeFor(phone) }), loginVerify, 200);
    await remember(client.get('/api/v1/me'), '/api/v1/me', 200);

    // Twilio refuses the credentials: the failure is logged, the token is not.
    t.twilio.failNext(401);
    const failed = await remember(
      new Client(t).post('/api/v1/auth/login', { email, password: STRONG_PASSWORD }),
      '/api/v1/auth/login',
      502,
    );
    failedDelivery = { statusCode: failed.statusCode, body: failed.json() };
    // Whatever the invitation routes answer for an unknown token, the token must not be logged.
    const invitation = t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/Zx8-kQ_2mNp4rT7vW9yB1cD3eF5gH6jK/accept',
      headers: { origin: ORIGIN },
      payload: { password: STRONG_PASSWORD, phone: uniqueMobile() },
    });
    await remember(invitation, '/api/v1/invitations/[redacted]/accept', 'client error');
  });
  afterAll(() => t.close());

  const logText = () => t.logs.join('');

  it('logged the requests (so silence cannot pass this test)', () => {
    expect(t.logs.length).toBeGreaterThan(urls.length);
    for (const url of new Set(urls)) expect(logText()).toContain(`"url":"${url}"`);
    expect(t.app.log.level).toBe('debug');
    expect(logText()).toContain('one-time code delivery failed');
  });

  it('answers the failed delivery with 502 delivery_failed and the challenge to resend', () => {
    expect(failedDelivery.statusCode).toBe(502);
    expect(failedDelivery.body).toMatchObject({ code: 'delivery_failed', challenge: { id: expect.any(String), channel: 'sms' } });
  });

  it('never logs a password', () => {
    for (const password of passwords) expect(logText()).not.toContain(password);
  });

  it('never logs a one-time code that was sent', () => {
    const codes = [
      ...t.twilio.messages.map((m) => /\d{6}/.exec(m.body)?.[0]),
      ...t.twilio.calls.map((c) => c.twiml.replace(/\D/g, '').slice(0, 6)),
    ];
    expect(codes.length).toBeGreaterThanOrEqual(2);
    for (const code of codes) {
      expect(code).toMatch(/^\d{6}$/);
      expect(logText()).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    }
  });

  it('never logs a session cookie', () => {
    expect(sessionCookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of sessionCookies) expect(logText()).not.toContain(cookie);
  });

  it('never logs the Twilio credentials or an invitation token', () => {
    expect(logText()).not.toContain(TWILIO.authToken);
    expect(logText()).not.toContain(Buffer.from(`${TWILIO.accountSid}:${TWILIO.authToken}`).toString('base64'));
    expect(logText()).not.toContain('Zx8-kQ_2mNp4rT7vW9yB1cD3eF5gH6jK');
  });
});
