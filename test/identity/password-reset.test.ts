import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/identity/keys.js';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';
import {
  Client,
  login,
  PUBLIC_URL,
  registerCompany,
  startTestApp,
  uniqueEmail,
  type Registered,
  type TestApp,
} from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { expectIntactChain, linkToken, mailTo, storedEvents } from '../tenancy/helpers.js';

const NEW_PASSWORD = 'orange submarine lantern quietly 77';

describe(`password reset (${engineName})`, () => {
  let t: TestApp;
  let smtp: FakeSmtp;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
    t = await startTestApp({ PACTUM_SMTP_URL: smtp.url, PACTUM_PASSWORD_RESET_IP_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const requestReset = (email: string) => new Client(t).post('/api/v1/auth/password-reset', { email });

  async function resetLink(user: Registered): Promise<string> {
    const before = smtp.messages.length;
    const response = await requestReset(user.email);
    expect(response.statusCode, response.body).toBe(202);
    return linkToken(await mailTo(smtp, user.email, { after: before }), 'password-reset');
  }

  it('mails a single-use link valid 30 minutes; only its hash is stored', async () => {
    const user = await registerCompany(t);
    const before = smtp.messages.length;
    expect((await requestReset(user.email.toUpperCase())).statusCode).toBe(202);
    const text = await mailTo(smtp, user.email, { after: before });
    const token = linkToken(text, 'password-reset');
    expect(text).toContain(`${PUBLIC_URL}/password-reset/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await t.db.asOwner<{ token_hash: Uint8Array; minutes: number }>(
      'SELECT token_hash, extract(epoch FROM expires_at - created_at) / 60 AS minutes FROM password_resets WHERE user_id = $1',
      [user.userId],
    );
    expect(Buffer.from(row!.token_hash).equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(Number(row!.minutes)).toBe(30);
  });

  it('answers 202 with the same body for unknown addresses, and mails nothing', async () => {
    const user = await registerCompany(t);
    const known = await requestReset(user.email);
    const before = smtp.messages.length;
    const ghost = uniqueEmail('ghost');
    const unknown = await requestReset(ghost);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.messages.slice(before).some((message) => message.to.includes(ghost))).toBe(false);
  });

  it('still needs the phone code: the confirm answer is a challenge, and only the code starts a session', async () => {
    const user = await registerCompany(t);
    const otherDevice = await login(t, user);
    const token = await resetLink(user);

    const client = new Client(t);
    const confirmed = await client.post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json().challenge).toMatchObject({ id: expect.any(String), channel: 'sms', phoneHint: expect.any(String) });
    expect(client.cookie).toBeUndefined();
    expect((await client.get('/api/v1/me')).statusCode).toBe(401);
    // Holding the mailbox alone ends nobody's session and changes no password.
    expect((await otherDevice.get('/api/v1/me')).statusCode).toBe(200);
    const [before] = await t.db.asOwner<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.userId]);
    const { verifyPassword } = await import('../../src/identity/password-hashing.js');
    expect((await verifyPassword(before!.password_hash, user.password)).valid).toBe(true);
    expect((await verifyPassword(before!.password_hash, NEW_PASSWORD)).valid).toBe(false);

    const wrongCode = t.twilio.lastCodeFor(user.phone) === '000000' ? '111111' : '000000';
    const wrong = await client.post(`/api/v1/auth/challenges/${confirmed.json().challenge.id}/verify`, { code: wrongCode });
    expect(wrong.statusCode).toBe(400);
    const verified = await client.post(`/api/v1/auth/challenges/${confirmed.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(user.phone),
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);

    // Every other session has ended; the new password works, the old one does not.
    expect((await otherDevice.get('/api/v1/me')).statusCode).toBe(401);
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(401);
    expect((await new Client(t).post('/api/v1/auth/login', { email: user.email, password: user.password })).statusCode).toBe(401);
    await login(t, { ...user, password: NEW_PASSWORD });

    const actions = (await storedEvents(t, user.tenantId)).map((event) => event.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset_confirmed', 'auth.code_failed', 'auth.password_reset']),
    );
    const reset = (await storedEvents(t, user.tenantId)).find((event) => event.action === 'auth.password_reset');
    expect(reset).toMatchObject({ actor_id: user.userId, target_id: user.userId, details: { sessionsEnded: 2 } });
    await expectIntactChain(t, user.tenantId);
  });

  it('uses a link once (410 token_expired), and a newer link replaces an older one', async () => {
    const user = await registerCompany(t);
    const first = await resetLink(user);
    const second = await resetLink(user);
    const stale = await new Client(t).post('/api/v1/auth/password-reset/confirm', { token: first, newPassword: NEW_PASSWORD });
    expect(stale.statusCode).toBe(410);
    expect(stale.json().code).toBe('token_expired');
    expect((await new Client(t).post('/api/v1/auth/password-reset/confirm', { token: second, newPassword: NEW_PASSWORD })).statusCode).toBe(
      200,
    );
    const again = await new Client(t).post('/api/v1/auth/password-reset/confirm', { token: second, newPassword: NEW_PASSWORD });
    expect(again.statusCode).toBe(410);
    expect(again.json().code).toBe('token_expired');
  });

  it('expires a link after 30 minutes, and knows no made-up link', async () => {
    const user = await registerCompany(t);
    const token = await resetLink(user);
    await t.db.asOwner("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.userId]);
    const late = await new Client(t).post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(late.statusCode).toBe(410);
    expect(late.json().code).toBe('token_expired');
    const invented = await new Client(t).post('/api/v1/auth/password-reset/confirm', { token: 'x'.repeat(43), newPassword: NEW_PASSWORD });
    expect(invented.statusCode).toBe(410);
    // The password did not change.
    await login(t, user);
  });

  it('applies the password policy and keeps the link usable after a refusal', async () => {
    const user = await registerCompany(t);
    const token = await resetLink(user);
    const weak = await new Client(t).post('/api/v1/auth/password-reset/confirm', { token, newPassword: 'password1234' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('weak_password');
    expect((await new Client(t).post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(200);
  });

  it('lifts the hard stop after 100 failed logins', async () => {
    const user = await registerCompany(t);
    const key = createHmac('sha256', deriveKey(t.config.masterKey, 'email-key')).update(user.email).digest();
    await t.db.asOwner("INSERT INTO login_failures VALUES ($1, 100, now() - interval '1 day')", [key]);
    expect((await new Client(t).post('/api/v1/auth/login', { email: user.email, password: user.password })).statusCode).toBe(429);

    const token = await resetLink(user);
    const client = new Client(t);
    const confirmed = await client.post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    // Confirming alone (the mailbox) does not lift it; the phone code does.
    expect((await new Client(t).post('/api/v1/auth/login', { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(429);
    const verified = await client.post(`/api/v1/auth/challenges/${confirmed.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(user.phone),
    });
    expect(verified.statusCode, verified.body).toBe(200);
    await login(t, { ...user, password: NEW_PASSWORD });
  });

  it('sends nothing to revoked or invited users', async () => {
    const user = await registerCompany(t);
    await t.db.asOwner("UPDATE users SET status = 'revoked', revoked_at = now() WHERE id = $1", [user.userId]);
    const before = smtp.messages.length;
    expect((await requestReset(user.email)).statusCode).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.messages.slice(before).some((message) => message.to.includes(user.email))).toBe(false);
  });
});

describe(`password reset throttling (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_PASSWORD_RESET_IP_LIMIT: '5', PACTUM_PASSWORD_RESET_EMAIL_LIMIT: '2' });
  });
  afterAll(() => t.close());

  const requestReset = (email: string, ip = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', remoteAddress: ip, payload: { email } });

  it('limits requests per address, known or not, with 429 and Retry-After', async () => {
    const user = await registerCompany(t);
    for (const email of [user.email, uniqueEmail('ghost')]) {
      expect((await requestReset(email, '203.0.113.1')).statusCode).toBe(202);
      expect((await requestReset(email, '203.0.113.2')).statusCode).toBe(202);
      const third = await requestReset(email, '203.0.113.3');
      expect(third.statusCode).toBe(429);
      expect(third.json().code).toBe('rate_limited');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('limits requests per client IP', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await requestReset(uniqueEmail('spray'), '198.51.100.7')).statusCode);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});
