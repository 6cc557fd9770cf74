import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';
import { Client, login, registerCompany, startTestApp, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { mailTo, storedEvents } from '../tenancy/helpers.js';

const wrongCode = (right: string | undefined) => (right === '000000' ? '111111' : '000000');

describe(`phone change (${engineName})`, () => {
  let t: TestApp;
  let smtp: FakeSmtp;
  beforeAll(async () => {
    smtp = await startFakeSmtp();
    t = await startTestApp({ PACTUM_SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const verify = (client: Client, challengeId: string, code: string | undefined) =>
    client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });

  it('needs the password and a code to the old number, then a code to the new one', async () => {
    const user = await registerCompany(t);
    const newPhone = uniqueMobile();
    const started = await user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone });
    expect(started.statusCode, started.body).toBe(200);
    const first = started.json().challenge;
    expect(first.phoneHint).toBe(`+41 •• ••• •• ${user.phone.slice(-2)}`);
    expect(t.twilio.lastCodeFor(newPhone)).toBeUndefined();

    const oldVerified = await verify(user.client, first.id, t.twilio.lastCodeFor(user.phone));
    expect(oldVerified.statusCode, oldVerified.body).toBe(200);
    const second = oldVerified.json().challenge;
    expect(second.id).not.toBe(first.id);
    expect(second.phoneHint).toBe(`+41 •• ••• •• ${newPhone.slice(-2)}`);
    // Nothing changed yet.
    expect(oldVerified.json().user.phoneHint).toBe(`+41 •• ••• •• ${user.phone.slice(-2)}`);

    const before = smtp.messages.length;
    const newVerified = await verify(user.client, second.id, t.twilio.lastCodeFor(newPhone));
    expect(newVerified.statusCode, newVerified.body).toBe(200);
    expect(newVerified.json().challenge).toBeUndefined();
    expect(newVerified.json().user.phoneHint).toBe(`+41 •• ••• •• ${newPhone.slice(-2)}`);
    const [row] = await t.db.asOwner<{ phone_e164: string; phone_country: string }>(
      'SELECT phone_e164, phone_country FROM users WHERE id = $1',
      [user.userId],
    );
    expect(row).toEqual({ phone_e164: newPhone, phone_country: 'CH' });
    expect(await mailTo(smtp, user.email, { after: before })).toContain(newPhone.slice(-2));

    // Sign-in codes go to the new number from now on.
    await login(t, { ...user, phone: newPhone });
    const actions = (await storedEvents(t, user.tenantId)).map((event) => event.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.phone_change_started', 'user.phone_change_old_number_verified', 'user.phone_changed']),
    );
  });

  it('refuses a wrong password with 401 and audits it', async () => {
    const user = await registerCompany(t);
    const response = await user.client.post('/api/v1/me/phone', { currentPassword: 'not my password at all', newPhone: uniqueMobile() });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('invalid_credentials');
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(200);
    const failed = (await storedEvents(t, user.tenantId)).find((event) => event.action === 'user.phone_change_started');
    expect(failed).toMatchObject({ outcome: 'failure', details: { reason: 'wrong_password' } });
  });

  it('applies the phone rules to the new number', async () => {
    const user = await registerCompany(t);
    const premium = await user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone: '+41900123456' });
    expect(premium.statusCode).toBe(400);
    expect(premium.json().code).toBe('invalid_phone');
    const same = await user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone: user.phone });
    expect(same.statusCode).toBe(400);
    expect((await new Client(t).post('/api/v1/me/phone', { currentPassword: user.password, newPhone: uniqueMobile() })).statusCode).toBe(
      401,
    );
  });

  it('binds both codes to the session that started the change', async () => {
    const user = await registerCompany(t);
    const other = await login(t, user);
    const newPhone = uniqueMobile();
    const started = await user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone });
    const elsewhere = await verify(other, started.json().challenge.id, t.twilio.lastCodeFor(user.phone));
    expect(elsewhere.statusCode).toBe(404);
    const anonymous = await verify(new Client(t), started.json().challenge.id, t.twilio.lastCodeFor(user.phone));
    expect(anonymous.statusCode).toBe(404);
    const second = (await verify(user.client, started.json().challenge.id, t.twilio.lastCodeFor(user.phone))).json().challenge;
    expect((await verify(other, second.id, t.twilio.lastCodeFor(newPhone))).statusCode).toBe(404);
  });

  it('keeps the old number when the new one never confirms', async () => {
    const user = await registerCompany(t);
    const newPhone = uniqueMobile();
    const started = await user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone });
    const second = (await verify(user.client, started.json().challenge.id, t.twilio.lastCodeFor(user.phone))).json().challenge;
    for (let i = 0; i < 5; i += 1) await verify(user.client, second.id, wrongCode(t.twilio.lastCodeFor(newPhone)));
    expect((await verify(user.client, second.id, t.twilio.lastCodeFor(newPhone))).statusCode).toBe(410);
    const [row] = await t.db.asOwner<{ phone_e164: string }>('SELECT phone_e164 FROM users WHERE id = $1', [user.userId]);
    expect(row!.phone_e164).toBe(user.phone);
    expect((await storedEvents(t, user.tenantId)).some((event) => event.action === 'auth.challenge_exhausted')).toBe(true);
  });
});
