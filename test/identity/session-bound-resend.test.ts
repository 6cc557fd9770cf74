import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, login, registerCompany, startTestApp, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { storedEvents } from '../tenancy/helpers.js';

describe(`session-bound challenges: resend and audit (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** Moves the last send back in time, as if the resend cooldown had passed. */
  const letCooldownPass = (challengeId: string) =>
    t.db.asOwner("UPDATE otp_challenges SET last_sent_at = now() - interval '31 seconds' WHERE id = $1", [challengeId]);
  const sentTo = (phone: string) =>
    t.twilio.messages.filter((m) => m.to === phone).length + t.twilio.calls.filter((c) => c.to === phone).length;

  it.each([
    ['step-up', async (user: Awaited<ReturnType<typeof registerCompany>>) => user.client.post('/api/v1/auth/step-up')],
    [
      'phone change',
      async (user: Awaited<ReturnType<typeof registerCompany>>) =>
        user.client.post('/api/v1/me/phone', { currentPassword: user.password, newPhone: uniqueMobile() }),
    ],
  ])('resends a %s code only to the session that asked for it; anyone else gets 404 and no call', async (_name, start) => {
    const user = await registerCompany(t);
    const other = await login(t, user);
    const started = await start(user);
    expect(started.statusCode, started.body).toBe(200);
    const challengeId = started.json().challenge.id as string;
    await letCooldownPass(challengeId);
    const before = sentTo(user.phone);

    for (const stranger of [new Client(t), other]) {
      const resent = await stranger.post(`/api/v1/auth/challenges/${challengeId}/resend`, { channel: 'voice' });
      expect(resent.statusCode).toBe(404);
      expect(resent.json().code).toBe('not_found');
    }
    const unknown = await new Client(t).post(`/api/v1/auth/challenges/${crypto.randomUUID()}/resend`, { channel: 'voice' });
    expect(unknown.json()).toEqual(
      (await new Client(t).post(`/api/v1/auth/challenges/${challengeId}/resend`, { channel: 'voice' })).json(),
    );
    expect(sentTo(user.phone)).toBe(before);

    const own = await user.client.post(`/api/v1/auth/challenges/${challengeId}/resend`, { channel: 'voice' });
    expect(own.statusCode, own.body).toBe(202);
    expect(sentTo(user.phone)).toBe(before + 1);
  });

  it('keeps challenge ids out of the audit trail, with a hash to tell the events of one challenge apart', async () => {
    const user = await registerCompany(t);
    const client = new Client(t);
    const started = await client.post('/api/v1/auth/login', { email: user.email, password: user.password });
    const challengeId = started.json().challenge.id as string;
    const right = t.twilio.lastCodeFor(user.phone);
    await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: right === '000000' ? '111111' : '000000' });
    const stepUp = await user.client.post('/api/v1/auth/step-up');

    const events = await storedEvents(t, user.tenantId);
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(challengeId);
    expect(serialized).not.toContain(stepUp.json().challenge.id);
    const ref = createHash('sha256').update(challengeId).digest('hex').slice(0, 16);
    expect(events.filter((event) => event.details.challengeRef === ref).map((event) => event.action)).toEqual([
      'auth.code_sent',
      'auth.code_failed',
    ]);
  });
});
