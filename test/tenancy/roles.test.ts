import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRecentAuthentication } from '../../src/identity/actor.js';
import { addMember } from '../helpers/members.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { ageAuthentication, patch, stepUp, storedEvents } from './helpers.js';

describe('requireRecentAuthentication', () => {
  const now = new Date('2025-03-01T12:00:00Z');
  it('accepts an authentication up to 15 minutes old and refuses an older one', () => {
    expect(() => requireRecentAuthentication({ authenticatedAt: new Date(now.getTime() - 15 * 60_000) }, now)).not.toThrow();
    expect(() => requireRecentAuthentication({ authenticatedAt: new Date(now.getTime() - 15 * 60_000 - 1) }, now)).toThrow(
      expect.objectContaining({ status: 403, code: 'reauthentication_required' }),
    );
  });
});

describe(`roles (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('lets a master promote a member and step down; the new role applies to the next request', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const promoted = await patch(company.client, `/api/v1/users/${member.userId}`, { role: 'master' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json()).toMatchObject({ id: member.userId, role: 'master', status: 'active' });
    expect((await member.client.post('/api/v1/users', { name: 'New Person', email: `new.${Date.now()}@example.com` })).statusCode).toBe(
      201,
    );

    const down = await patch(company.client, `/api/v1/users/${company.userId}`, { role: 'member' });
    expect(down.statusCode, down.body).toBe(200);
    expect(down.json().role).toBe('member');
    const now = await patch(company.client, `/api/v1/users/${member.userId}`, { name: 'Renamed' });
    expect(now.statusCode).toBe(403);
    expect(now.json().code).toBe('forbidden');

    const events = await storedEvents(t, company.tenantId);
    expect(events.filter((event) => event.action === 'user.role_changed').map((event) => [event.target_id, event.details])).toEqual([
      [member.userId, { from: 'member', to: 'master' }],
      [company.userId, { from: 'master', to: 'member' }],
    ]);
  });

  it('keeps an active master: 409 last_master when the only one steps down', async () => {
    const company = await registerCompany(t);
    const response = await patch(company.client, `/api/v1/users/${company.userId}`, { role: 'member' });
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('last_master');
    // A pending (invited) master does not count.
    const invited = await company.client.post('/api/v1/users', {
      name: 'Future Master',
      email: `future.${Date.now()}@example.com`,
      role: 'master',
    });
    expect(invited.statusCode).toBe(201);
    expect((await patch(company.client, `/api/v1/users/${company.userId}`, { role: 'member' })).statusCode).toBe(409);
  });

  it('lets two masters demoting each other at once leave one master', async () => {
    const company = await registerCompany(t);
    const other = await addMember(t, company, { role: 'master' });
    const [a, b] = await Promise.all([
      patch(company.client, `/api/v1/users/${other.userId}`, { role: 'member' }),
      patch(other.client, `/api/v1/users/${company.userId}`, { role: 'member' }),
    ]);
    // The loser is refused either as no longer master (403, when it starts after the winner committed) or
    // as the last master (409, when it waited for the winner's lock): never both demoted.
    const [winner, loser] = a.statusCode === 200 ? [a, b] : [b, a];
    expect(winner.statusCode, winner.body).toBe(200);
    expect([403, 409]).toContain(loser.statusCode);
    const [masters] = await t.db.asOwner<{ count: string }>(
      "SELECT count(*)::text AS count FROM users WHERE tenant_id = $1 AND role = 'master' AND status = 'active'",
      [company.tenantId],
    );
    expect(masters!.count).toBe('1');
  });

  it('renames without step-up, but changes roles only within 15 minutes of an authentication', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    await ageAuthentication(t, company.userId);
    const renamed = await patch(company.client, `/api/v1/users/${member.userId}`, { name: 'Milton W.' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().name).toBe('Milton W.');

    const stale = await patch(company.client, `/api/v1/users/${member.userId}`, { role: 'master' });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    await stepUp(t, company.client, company.phone);
    const fresh = await patch(company.client, `/api/v1/users/${member.userId}`, { role: 'master' });
    expect(fresh.statusCode, fresh.body).toBe(200);
  });

  it('refuses members on every master route with 403 forbidden', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const requests = [
      member.client.post('/api/v1/users', { name: 'X Y', email: `xy.${Date.now()}@example.com` }),
      patch(member.client, `/api/v1/users/${company.userId}`, { name: 'Mutiny' }),
      patch(member.client, `/api/v1/users/${member.userId}`, { role: 'master' }),
      member.client.post(`/api/v1/users/${company.userId}/revoke`, {}),
      member.client.post(`/api/v1/users/${company.userId}/sessions/end`),
    ];
    for (const response of await Promise.all(requests)) {
      expect(response.statusCode, response.body).toBe(403);
      expect(response.json().code).toBe('forbidden');
    }
  });

  it("answers another company's master with 404 on every /users/{id} route", async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const stranger = await registerCompany(t);
    const requests = [
      patch(stranger.client, `/api/v1/users/${member.userId}`, { name: 'Hijacked' }),
      patch(stranger.client, `/api/v1/users/${member.userId}`, { role: 'master' }),
      stranger.client.post(`/api/v1/users/${member.userId}/revoke`, {}),
      stranger.client.post(`/api/v1/users/${member.userId}/sessions/end`),
    ];
    for (const response of await Promise.all(requests)) {
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json().code).toBe('not_found');
    }
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(200);
    const [row] = await t.db.asOwner<{ name: string; status: string }>('SELECT name, status FROM users WHERE id = $1', [member.userId]);
    expect(row).toEqual({ name: 'Milton Waddams', status: 'active' });
  });

  it('rejects unknown fields and an empty patch', async () => {
    const company = await registerCompany(t);
    expect((await patch(company.client, `/api/v1/users/${company.userId}`, {})).statusCode).toBe(400);
    expect((await patch(company.client, `/api/v1/users/${company.userId}`, { status: 'revoked' })).statusCode).toBe(400);
    expect((await patch(company.client, `/api/v1/users/${company.userId}`, { role: 'owner' })).statusCode).toBe(400);
  });
});
