import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';
import { Client, registerCompany, startTestApp, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { linkToken, mailTo } from '../tenancy/helpers.js';

/** Issue 9, finding 6: signup must not tell anyone which e-mail addresses have accounts. */
describe(`signup with a registered e-mail (${engineName})`, () => {
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

  const signup = (email: string, phone: string) =>
    new Client(t).post('/api/v1/signup', { companyName: 'Copycat AG', name: 'Someone Else', email, phone, password: STRONG_PASSWORD });
  const codesTo = (phone: string) =>
    t.twilio.messages.filter((m) => m.to === phone).length + t.twilio.calls.filter((c) => c.to === phone).length;
  /** What a client can compare between two answers: everything but the random id, the clock and the number's last digits. */
  const shapeOf = (response: Awaited<ReturnType<typeof signup>>) => {
    const { id, expiresAt, phoneHint, ...rest } = response.json().challenge;
    return {
      status: response.statusCode,
      contentType: response.headers['content-type'],
      keys: Object.keys(response.json()),
      challengeKeys: Object.keys(response.json().challenge),
      id: typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id),
      expiresInSeconds: Math.round((Date.parse(expiresAt) - Date.now()) / 10_000) * 10,
      phoneHint: phoneHint.replace(/\d{2}$/, 'NN'),
      ...rest,
    };
  };

  it('answers 201 with the same challenge as for a new address, sends no code, and mails the owner a reset link', async () => {
    const owner = await registerCompany(t);
    const newcomerPhone = uniqueMobile();
    const attackerPhone = uniqueMobile();
    const mailsBefore = smtp.messages.length;

    const fresh = await signup(uniqueEmail('newcomer'), newcomerPhone);
    const registered = await signup(owner.email.toUpperCase(), attackerPhone);
    expect(registered.statusCode, registered.body).toBe(201);
    expect(shapeOf(registered)).toEqual(shapeOf(fresh));
    expect(codesTo(newcomerPhone)).toBe(1);
    expect(codesTo(attackerPhone)).toBe(0);

    const mail = await mailTo(smtp, owner.email, { after: mailsBefore });
    expect(smtp.messages.slice(mailsBefore).filter((message) => message.to.some((to) => to.includes(owner.email)))).toHaveLength(1);
    expect(mail).toContain('tried to register a new company');
    const token = linkToken(mail, 'password-reset');
    const confirmed = await new Client(t).post('/api/v1/auth/password-reset/confirm', {
      token,
      newPassword: 'lantern orange quietly submarine 91',
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const [counted] = await t.db.asOwner<{ count: string }>("SELECT count(*)::text AS count FROM tenants WHERE name = 'Copycat AG'");
    expect(counted!.count).toBe('1');
  });

  it('verifies and resends the decoy exactly like a real challenge with a wrong code, and never sends a code', async () => {
    const owner = await registerCompany(t);
    const realPhone = uniqueMobile();
    const decoyPhone = uniqueMobile();
    const real = (await signup(uniqueEmail('real'), realPhone)).json().challenge.id as string;
    const decoy = (await signup(owner.email, decoyPhone)).json().challenge.id as string;
    const rightCode = t.twilio.lastCodeFor(realPhone)!;
    const wrong = rightCode === '000000' ? '111111' : '000000';

    const answers = async (id: string) => {
      const seen = [];
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const response = await new Client(t).post(`/api/v1/auth/challenges/${id}/verify`, { code: attempt === 5 ? rightCode : wrong });
        seen.push([response.statusCode, response.json()]);
      }
      return seen;
    };
    expect(await answers(decoy)).toEqual(await answers(real));

    const owner2 = await registerCompany(t);
    const decoy2 = (await signup(owner2.email, decoyPhone)).json().challenge.id as string;
    const tooSoon = await new Client(t).post(`/api/v1/auth/challenges/${decoy2}/resend`, {});
    expect(tooSoon.statusCode).toBe(429);
    expect(tooSoon.headers['retry-after']).toBeDefined();
    await t.db.asOwner("UPDATE signup_decoys SET last_sent_at = now() - interval '31 seconds' WHERE id = $1", [decoy2]);
    const resent = await new Client(t).post(`/api/v1/auth/challenges/${decoy2}/resend`, { channel: 'voice' });
    expect(resent.statusCode, resent.body).toBe(202);
    expect(resent.json().challenge).toMatchObject({ id: decoy2, channel: 'voice', availableChannels: ['sms', 'voice'] });
    expect(codesTo(decoyPhone)).toBe(0);
  });
});
