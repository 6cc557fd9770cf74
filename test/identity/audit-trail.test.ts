import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeRef } from '../../src/identity/challenges.js';
import { Client, login, registerCompany, startTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { expectIntactChain, storedEvents } from '../tenancy/helpers.js';

const NEW_PASSWORD = 'violet harbour compass drifting 58';

describe(`identity events in the audit trail (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('records signup, codes sent, login success and failure, in the tenant of the account, without secrets', async () => {
    const user = await registerCompany(t);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': 'Audit-Test/2.0', 'x-forwarded-for': '203.0.113.66' },
      payload: { email: user.email, password: 'a wrong password entirely' },
    });
    expect(wrong.statusCode).toBe(401);
    await login(t, user);

    const events = await storedEvents(t, user.tenantId);
    const byAction = (action: string) => events.filter((event) => event.action === action);
    expect(byAction('auth.signup')).toEqual([
      expect.objectContaining({ actor_id: user.userId, target_id: user.userId, outcome: 'success' }),
    ]);
    expect(byAction('auth.code_sent').map((event) => event.details)).toEqual([
      expect.objectContaining({ purpose: 'signup', channel: 'sms', resend: false }),
      expect.objectContaining({ purpose: 'login', channel: 'sms', resend: false }),
    ]);
    // The forwarded-for header is ignored: no trusted proxy is configured.
    expect(byAction('auth.login').filter((event) => event.outcome === 'failure')).toEqual([
      expect.objectContaining({
        actor_id: null,
        target_id: user.userId,
        client_ip: '127.0.0.1',
        user_agent: 'Audit-Test/2.0',
        details: { reason: 'wrong_password' },
      }),
    ]);
    expect(
      byAction('auth.login')
        .filter((event) => event.outcome === 'success')
        .map((event) => [event.actor_id, event.target_type, event.details.purpose]),
    ).toEqual([
      [user.userId, 'session', 'signup'],
      [user.userId, 'session', 'login'],
    ]);
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(user.password);
    expect(serialized).not.toContain('a wrong password entirely');
    expect(serialized).not.toContain(t.twilio.lastCodeFor(user.phone));
    await expectIntactChain(t, user.tenantId);
  });

  it('records nothing for an unknown e-mail', async () => {
    const before = await t.db.asOwner<{ count: string }>('SELECT count(*)::text AS count FROM audit_events');
    const response = await new Client(t).post('/api/v1/auth/login', { email: uniqueEmail('ghost'), password: 'whatever it may be' });
    expect(response.statusCode).toBe(401);
    const after = await t.db.asOwner<{ count: string }>('SELECT count(*)::text AS count FROM audit_events');
    expect(after[0]!.count).toBe(before[0]!.count);
  });

  it('records failed codes, the exhausted challenge and resends', async () => {
    const user = await registerCompany(t);
    const client = new Client(t);
    const started = await client.post('/api/v1/auth/login', { email: user.email, password: user.password });
    const challengeId = started.json().challenge.id;
    await t.db.asOwner("UPDATE otp_challenges SET last_sent_at = now() - interval '1 minute' WHERE id = $1", [challengeId]);
    expect((await client.post(`/api/v1/auth/challenges/${challengeId}/resend`, { channel: 'voice' })).statusCode).toBe(202);
    const right = t.twilio.lastCodeFor(user.phone);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i += 1) await client.post(`/api/v1/auth/challenges/${challengeId}/verify`, { code: wrong });

    const events = (await storedEvents(t, user.tenantId)).filter((event) => event.details.challengeRef === challengeRef(challengeId));
    expect(events.map((event) => [event.action, event.outcome])).toEqual([
      ['auth.code_sent', 'success'],
      ['auth.code_sent', 'success'],
      ['auth.code_failed', 'failure'],
      ['auth.code_failed', 'failure'],
      ['auth.code_failed', 'failure'],
      ['auth.code_failed', 'failure'],
      ['auth.challenge_exhausted', 'failure'],
    ]);
    expect(events[1]!.details).toMatchObject({ channel: 'voice', resend: true });
    expect(events[2]!.details).toMatchObject({ purpose: 'login', attemptsLeft: 4 });
    await expectIntactChain(t, user.tenantId);
  });

  it('records password changes (and wrong current passwords), logout and logout-all', async () => {
    const user = await registerCompany(t);
    const second = await login(t, user);
    const third = await login(t, user);
    expect(
      (await user.client.post('/api/v1/auth/password', { currentPassword: 'not the current one', newPassword: NEW_PASSWORD })).statusCode,
    ).toBe(401);
    expect(
      (await user.client.post('/api/v1/auth/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).statusCode,
    ).toBe(204);
    const fourth = await login(t, { ...user, password: NEW_PASSWORD });
    const fifth = await login(t, { ...user, password: NEW_PASSWORD });
    expect((await fourth.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await fifth.post('/api/v1/auth/logout-all')).statusCode).toBe(204);
    expect((await second.get('/api/v1/me')).statusCode).toBe(401);
    expect((await third.get('/api/v1/me')).statusCode).toBe(401);

    const events = await storedEvents(t, user.tenantId);
    expect(events.filter((event) => event.action === 'auth.password_changed').map((event) => [event.outcome, event.details])).toEqual([
      ['failure', { reason: 'wrong_password' }],
      ['success', { sessionsEnded: 2 }],
    ]);
    expect(events.filter((event) => event.action === 'session.ended').map((event) => [event.target_type, event.details])).toEqual([
      ['session', { reason: 'logout' }],
      ['user', { reason: 'logout_all', count: 2 }],
    ]);
    await expectIntactChain(t, user.tenantId);
  });

  it('lists the groups of the signed-in user in /me', async () => {
    const user = await registerCompany(t);
    const [group] = await t.db.asOwner<{ id: string }>(
      "INSERT INTO access_groups (tenant_id, name) VALUES ($1, 'Procurement') RETURNING id",
      [user.tenantId],
    );
    await t.db.asOwner('INSERT INTO access_group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)', [
      user.tenantId,
      group!.id,
      user.userId,
    ]);
    expect((await user.client.get('/api/v1/me')).json().groups).toEqual([{ id: group!.id, name: 'Procurement' }]);
  });
});
