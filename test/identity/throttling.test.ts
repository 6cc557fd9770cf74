import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/identity/keys.js';
import { Client, registerCompany, startTestApp, uniqueEmail, uniqueMobile, STRONG_PASSWORD, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

const WRONG = 'definitely not the password';

describe(`login throttling (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const attempt = (email: string, password = WRONG) => new Client(t).post('/api/v1/auth/login', { email, password });

  it('slows an account down after 5 failures, even for the right password', async () => {
    const user = await registerCompany(t);
    for (let i = 0; i < 5; i += 1) expect((await attempt(user.email)).statusCode).toBe(401);
    const blocked = await attempt(user.email, user.password);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('throttles an unknown e-mail exactly like a known one', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i += 1) expect((await attempt(ghost)).statusCode).toBe(401);
    expect((await attempt(ghost)).statusCode).toBe(429);
  });

  it('lets the account in once the delay has passed, and a success clears the count', async () => {
    const user = await registerCompany(t);
    for (let i = 0; i < 5; i += 1) await attempt(user.email);
    await t.db.asOwner("UPDATE login_failures SET last_failed_at = now() - interval '10 minutes'");
    expect((await attempt(user.email, user.password)).statusCode).toBe(200);
    expect((await attempt(user.email)).statusCode).toBe(401);
    expect((await attempt(user.email, user.password)).statusCode).toBe(200);
  });

  it('stops an account hard after 100 consecutive failures, however long ago', async () => {
    const user = await registerCompany(t);
    const key = createHmac('sha256', deriveKey(t.config.masterKey, 'email-key')).update(user.email).digest();
    await t.db.asOwner("INSERT INTO login_failures VALUES ($1, 100, now() - interval '30 days')", [key]);
    const blocked = await attempt(user.email, user.password);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().detail).toMatch(/reset your password/i);
  });
});

describe(`per-IP and messaging caps (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_LOGIN_IP_LIMIT: '3', PACTUM_OTP_TENANT_HOURLY_CAP: '3' });
  });
  afterAll(() => t.close());

  it('limits login attempts per client IP in a sliding window', async () => {
    const responses = [];
    for (let i = 0; i < 4; i += 1) {
      responses.push(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '203.0.113.7',
          payload: { email: uniqueEmail(), password: WRONG },
        }),
      );
    }
    expect(responses.slice(0, 3).map((r) => r.statusCode)).toEqual([401, 401, 401]);
    expect(responses[3]!.statusCode).toBe(429);
    expect(responses[3]!.json().code).toBe('rate_limited');
    // Another address is not affected.
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '203.0.113.8',
      payload: { email: uniqueEmail(), password: WRONG },
    });
    expect(other.statusCode).toBe(401);
  });

  it('caps the codes one tenant can trigger per hour (SMS pumping)', async () => {
    // The signup code spends the budget of unverified purposes, not the company's login budget.
    const user = await registerCompany(t, { phone: uniqueMobile() });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: `198.51.100.${i + 1}`,
        payload: { email: user.email, password: STRONG_PASSWORD },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
