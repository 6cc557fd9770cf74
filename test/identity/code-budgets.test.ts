import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTP_BUDGET_WARNING } from '../../src/identity/challenges.js';
import { clientNetwork } from '../../src/identity/client-network.js';
import { registerCompany, startTestApp, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/** Issue 13, point 1: codes spent on unverified purposes never keep an active account from signing in. */
describe(`one-time code budgets (${engineName})`, () => {
  let t: TestApp;
  const GLOBAL_UNVERIFIED_CAP = 30;
  beforeAll(async () => {
    t = await startTestApp({
      PACTUM_TRUST_PROXY: '127.0.0.1',
      PACTUM_OTP_UNVERIFIED_GLOBAL_HOURLY_CAP: String(GLOBAL_UNVERIFIED_CAP),
      PACTUM_SIGNUP_IP_HOURLY_LIMIT: '10',
    });
  });
  afterAll(() => t.close());

  let forwarded = 0;
  const signupFromElsewhere = (phone: string) => {
    forwarded += 1;
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { 'x-forwarded-for': `198.51.${Math.floor(forwarded / 250)}.${(forwarded % 250) + 1}` },
      payload: { companyName: 'Pump & Dump Ltd', name: 'Mallory', email: uniqueEmail('pump'), phone, password: STRONG_PASSWORD },
    });
  };
  const codesTo = (phone: string) => t.twilio.messages.filter((m) => m.to === phone).length;
  const loginAt = (who: { email: string; password: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-forwarded-for': '192.0.2.10' },
      payload: { email: who.email, password: who.password },
    });

  it("keeps login codes flowing while anonymous signups flood a victim's number and the global signup budget", async () => {
    const victim = await registerCompany(t);
    const otherCompany = await registerCompany(t);
    const victimCodesBefore = codesTo(victim.phone);

    const atVictim = [];
    for (let i = 0; i < 20; i += 1) atVictim.push((await signupFromElsewhere(victim.phone)).statusCode);
    // The victim's own signup was the first of the 2 signup codes a day that an active account's number receives.
    expect(atVictim.filter((status) => status === 201)).toHaveLength(1);
    expect(atVictim.filter((status) => status === 429)).toHaveLength(19);
    expect(codesTo(victim.phone) - victimCodesBefore).toBe(1);

    const elsewhere = [];
    for (let i = 0; i < GLOBAL_UNVERIFIED_CAP; i += 1) elsewhere.push(await signupFromElsewhere(uniqueMobile()));
    const refused = elsewhere.filter((response) => response.statusCode === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.json().code).toBe('rate_limited');
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);

    for (const user of [victim, otherCompany]) {
      const before = codesTo(user.phone);
      const started = await loginAt(user);
      expect(started.statusCode, started.body).toBe(200);
      expect(codesTo(user.phone)).toBe(before + 1);
    }

    const warnings = t.logs.filter((line) => line.includes(OTP_BUDGET_WARNING));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, otpBudget: 'unverified_global', used: 24, cap: GLOBAL_UNVERIFIED_CAP });
    expect(warnings[0]).not.toContain(victim.phone);
  });
});

describe(`signups per client network (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_TRUST_PROXY: '127.0.0.1', PACTUM_SIGNUP_IP_HOURLY_LIMIT: '3' });
  });
  afterAll(() => t.close());

  const signupFrom = (address: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      headers: { 'x-forwarded-for': address },
      payload: {
        companyName: 'Rotating Addresses',
        name: 'Eve',
        email: uniqueEmail('rotate'),
        phone: uniqueMobile(),
        password: STRONG_PASSWORD,
      },
    });

  it('counts IPv6 clients by /64, in the database', async () => {
    const statuses = [];
    for (const host of [':1', 'a:b:c:d', ':ffff:1', 'ffff:ffff:ffff:ffff'])
      statuses.push((await signupFrom(`2001:db8:7:42:${host}`)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect((await signupFrom('2001:db8:7:43::1')).statusCode).toBe(201);
    const [counted] = await t.db.asOwner<{ count: string }>(
      "SELECT count(*)::text AS count FROM rate_limit_hits WHERE bucket = 'signup-ip:2001:db8:7:42::/64'",
    );
    expect(counted!.count).toBe('3');
  });

  it('names the network of an address', () => {
    expect(clientNetwork('203.0.113.9')).toBe('203.0.113.9');
    expect(clientNetwork('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientNetwork('2001:DB8:0:0:1::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientNetwork(null)).toBe('unknown');
  });
});

describe(`sign-in and password-reset limits per client network (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_TRUST_PROXY: '127.0.0.1', PACTUM_LOGIN_IP_LIMIT: '2', PACTUM_PASSWORD_RESET_IP_LIMIT: '2' });
  });
  afterAll(() => t.close());

  const from = (url: string, address: string, payload: object) =>
    t.app.inject({ method: 'POST', url, headers: { 'x-forwarded-for': address }, payload });

  it('count an IPv6 client by its /64, as signups do', async () => {
    const login = (host: string) =>
      from('/api/v1/auth/login', `2001:db8:9:1:${host}`, { email: uniqueEmail('nobody'), password: STRONG_PASSWORD });
    expect([(await login(':1')).statusCode, (await login(':2')).statusCode, (await login(':3')).statusCode]).toEqual([401, 401, 429]);
    const reset = (host: string) => from('/api/v1/auth/password-reset', `2001:db8:9:2:${host}`, { email: uniqueEmail('nobody') });
    expect([(await reset(':1')).statusCode, (await reset(':2')).statusCode, (await reset(':3')).statusCode]).toEqual([202, 202, 429]);
  });
});
