import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, login, registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

describe(`sessions (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const sessionOf = async (client: Client) => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(client.cookie!).digest();
    const [row] = await t.db.asOwner<{ id: string }>('SELECT id FROM sessions WHERE token_hash = $1', [hash]);
    return row!.id;
  };

  it('stores only the SHA-256 of the session token', async () => {
    const user = await registerCompany(t);
    const rows = await t.db.asOwner<{ token_hash: Uint8Array }>('SELECT token_hash FROM sessions WHERE user_id = $1', [user.userId]);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token_hash).toString('base64url')).not.toBe(user.client.cookie);
    expect(await sessionOf(user.client)).toBeTruthy();
  });

  it('logs out one session and leaves the others', async () => {
    const user = await registerCompany(t);
    const second = await login(t, user);
    const logout = await user.client.post('/api/v1/auth/logout');
    expect(logout.statusCode).toBe(204);
    expect(logout.cookies.find((c) => c.name === 'pactum_session')?.value).toBe('');
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(401);
    expect((await second.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('ends the old session for good: its cookie is refused after logout', async () => {
    const user = await registerCompany(t);
    const token = user.client.cookie!;
    await user.client.post('/api/v1/auth/logout');
    const replay = new Client(t);
    replay.cookie = token;
    expect((await replay.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('ends every session of the user with logout-all', async () => {
    const user = await registerCompany(t);
    const second = await login(t, user);
    const secondToken = second.cookie!;
    expect((await user.client.post('/api/v1/auth/logout-all')).statusCode).toBe(204);
    const replay = new Client(t);
    replay.cookie = secondToken;
    expect((await replay.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('issues a new token at every login', async () => {
    const user = await registerCompany(t);
    const again = await login(t, user);
    expect(again.cookie).not.toBe(user.client.cookie);
  });

  it('expires after 30 idle minutes', async () => {
    const user = await registerCompany(t);
    const id = await sessionOf(user.client);
    await t.db.asOwner("UPDATE sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = $1", [id]);
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(200);
    await t.db.asOwner("UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1", [id]);
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('expires 12 hours after sign-in however active', async () => {
    const user = await registerCompany(t);
    const id = await sessionOf(user.client);
    const [row] = await t.db.asOwner<{ hours: number }>(
      'SELECT extract(epoch FROM expires_at - created_at)::int / 3600 AS hours FROM sessions WHERE id = $1',
      [id],
    );
    expect(row!.hours).toBe(12);
    await t.db.asOwner("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('changes the password, ends the other sessions, and keeps this one', async () => {
    const user = await registerCompany(t);
    const other = await login(t, user);
    const newPassword = 'a completely different passphrase 2026';
    const weak = await user.client.post('/api/v1/auth/password', { currentPassword: user.password, newPassword: 'password1234' });
    expect(weak.json().code).toBe('weak_password');
    const wrongCurrent = await user.client.post('/api/v1/auth/password', { currentPassword: 'not my password at all', newPassword });
    expect(wrongCurrent.statusCode).toBe(401);
    expect(wrongCurrent.json().code).toBe('invalid_credentials');

    const changed = await user.client.post('/api/v1/auth/password', { currentPassword: user.password, newPassword });
    expect(changed.statusCode).toBe(204);
    expect((await user.client.get('/api/v1/me')).statusCode).toBe(200);
    expect((await other.get('/api/v1/me')).statusCode).toBe(401);
    expect((await new Client(t).post('/api/v1/auth/login', { email: user.email, password: user.password })).statusCode).toBe(401);
    await login(t, { ...user, password: newPassword });
  });

  it('steps up: a fresh code refreshes the authentication time of this session only', async () => {
    const user = await registerCompany(t);
    const id = await sessionOf(user.client);
    await t.db.asOwner("UPDATE sessions SET authenticated_at = now() - interval '1 hour' WHERE id = $1", [id]);
    const stepUp = await user.client.post('/api/v1/auth/step-up');
    expect(stepUp.statusCode).toBe(200);
    const challengeId = stepUp.json().challenge.id;
    const code = t.twilio.lastCodeFor(user.phone)!;

    // Another browser cannot complete someone else's step-up.
    const stranger = await new Client(t).post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });
    expect(stranger.statusCode).toBe(404);

    const verified = await user.client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code });
    expect(verified.statusCode).toBe(200);
    const [row] = await t.db.asOwner<{ fresh: boolean }>(
      "SELECT authenticated_at > now() - interval '1 minute' AS fresh FROM sessions WHERE id = $1",
      [id],
    );
    expect(row!.fresh).toBe(true);
  });
});
