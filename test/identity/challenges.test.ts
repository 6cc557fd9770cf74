import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

describe(`one-time-code challenges (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function startLogin() {
    const user = await registerCompany(t);
    const client = new Client(t);
    const response = await client.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(response.statusCode).toBe(200);
    return { user, client, challengeId: response.json().challenge.id as string, code: t.twilio.lastCodeFor(user.phone)! };
  }

  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  /** Moves the last send back in time, as if the resend cooldown had passed. */
  const letCooldownPass = (challengeId: string) =>
    t.db.asOwner("UPDATE otp_challenges SET last_sent_at = now() - interval '31 seconds' WHERE id = $1", [challengeId]);

  it('ends the challenge after 5 wrong codes, even for the right code afterwards', async () => {
    const { client, challengeId, code } = await startLogin();
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const response = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong(code) });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'invalid_code', attemptsLeft: 5 - attempt });
    }
    const fifth = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong(code) });
    expect(fifth.statusCode).toBe(410);
    expect(fifth.json().code).toBe('challenge_expired');
    const right = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });
    expect(right.statusCode).toBe(410);
    expect(client.cookie).toBeUndefined();
  });

  it('does not give back tries on resend, and the old code dies with it', async () => {
    const { user, client, challengeId, code: firstCode } = await startLogin();
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect((await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong(firstCode) })).statusCode).toBe(400);
    }
    await letCooldownPass(challengeId);
    const resent = await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, {});
    expect(resent.statusCode).toBe(202);
    const secondCode = t.twilio.lastCodeFor(user.phone)!;
    if (secondCode !== firstCode) {
      const stale = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: firstCode });
      expect(stale.json()).toMatchObject({ code: 'invalid_code', attemptsLeft: 1 });
    } else {
      expect((await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong(secondCode) })).json().attemptsLeft).toBe(1);
    }
    const last = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong(secondCode) });
    expect(last.statusCode).toBe(410);
  });

  it('accepts a single use only', async () => {
    const { client, challengeId, code } = await startLogin();
    expect((await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code })).statusCode).toBe(200);
    const again = await new Client(t).post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });
    expect(again.statusCode).toBe(410);
  });

  it('refuses an expired code', async () => {
    const { client, challengeId, code } = await startLogin();
    await t.db.asOwner("UPDATE otp_challenges SET expires_at = now() - interval '1 second' WHERE id = $1", [challengeId]);
    const response = await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });
    expect(response.statusCode).toBe(410);
  });

  it('stores only a keyed hash of the code', async () => {
    const { challengeId, code } = await startLogin();
    const [row] = await t.db.asOwner<{ code_hash: Uint8Array }>('SELECT code_hash FROM otp_challenges WHERE id = $1', [challengeId]);
    const stored = Buffer.from(row!.code_hash);
    expect(stored).toHaveLength(32);
    const { createHash } = await import('node:crypto');
    expect(stored.equals(createHash('sha256').update(code).digest())).toBe(false);
    expect(stored.equals(createHash('sha256').update(`${challengeId}:${code}`).digest())).toBe(false);
    expect(stored.toString('hex')).not.toContain(Buffer.from(code).toString('hex'));
  });

  it('rate-limits resends to one per 30 seconds', async () => {
    const { client, challengeId } = await startLogin();
    const tooSoon = await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, {});
    expect(tooSoon.statusCode).toBe(429);
    expect(tooSoon.json().code).toBe('rate_limited');
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(tooSoon.headers['retry-after'])).toBeLessThanOrEqual(30);
  });

  it('caps resends at 5 per hour per number', async () => {
    const { client, challengeId } = await startLogin();
    for (let resend = 1; resend <= 5; resend += 1) {
      await letCooldownPass(challengeId);
      expect((await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, {})).statusCode).toBe(202);
    }
    await letCooldownPass(challengeId);
    const sixth = await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, {});
    expect(sixth.statusCode).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(30);
  });

  it('offers the voice channel on resend to a mobile number, and refuses SMS to a landline', async () => {
    const { user, client, challengeId } = await startLogin();
    await letCooldownPass(challengeId);
    const calls = t.twilio.calls.length;
    const byVoice = await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, { channel: 'voice' });
    expect(byVoice.statusCode).toBe(202);
    expect(byVoice.json().challenge.channel).toBe('voice');
    expect(t.twilio.calls).toHaveLength(calls + 1);
    expect(t.twilio.calls.at(-1)!.to).toBe(user.phone);
    const code = t.twilio.lastCodeFor(user.phone)!;
    expect((await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code })).statusCode).toBe(200);

    const landline = await new Client(t).post('/api/v1/signup', {
      companyName: 'Landline GmbH',
      name: 'Fritz Festnetz',
      email: 'fritz.festnetz@example.com',
      phone: '+41446681801',
      password: 'correct horse battery staple vault 42',
    });
    expect(landline.statusCode).toBe(201);
    const landlineChallenge = landline.json().challenge.id;
    await letCooldownPass(landlineChallenge);
    const bySms = await new Client(t).post(`/api/v1/auth/challenges/${landlineChallenge}/resend`, { channel: 'sms' });
    expect(bySms.statusCode).toBe(400);
    expect(bySms.json().code).toBe('channel_unavailable');
  });

  it('answers 404 for an unknown challenge and 400 for a malformed id', async () => {
    const unknown = await new Client(t).post('/api/v1/auth/challenges/7d1f0a56-3a9e-4c69-9d51-2b3c1e0f9a11/verify', { code: '123456' });
    expect(unknown.statusCode).toBe(404);
    const malformed = await new Client(t).post('/api/v1/auth/challenges/not-a-uuid/verify', { code: '123456' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('validation_failed');
  });

  it('reports a failed delivery as 502 with the challenge, so the client can resend', async () => {
    const user = await registerCompany(t);
    t.twilio.failNext(500);
    const response = await new Client(t).post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ code: 'delivery_failed', challenge: { id: expect.any(String) } });
  });
});
