import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../helpers/members.js';
import { login, registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { ageAuthentication, remove, stepUp, storedEvents } from './helpers.js';

interface SessionBody {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  clientIp: string | null;
  userAgent: string | null;
  current: boolean;
}

describe(`session management (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const sessionsOf = async (client: Parameters<typeof remove>[0]) => {
    const response = await client.get('/api/v1/sessions');
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { items: SessionBody[]; nextCursor: string | null };
  };

  it('lists only the caller’s live sessions, newest first, marking the current one', async () => {
    const company = await registerCompany(t);
    const laptop = await login(t, company);
    const phone = await login(t, company);
    await phone.post('/api/v1/auth/logout');
    const other = await addMember(t, company);

    const { items, nextCursor } = await sessionsOf(laptop);
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(2);
    expect(items.filter((session) => session.current)).toHaveLength(1);
    expect(items[0]).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      clientIp: '127.0.0.1',
      userAgent: 'lightMyRequest',
      current: true,
    });
    expect(new Date(items[0]!.createdAt) >= new Date(items[1]!.createdAt)).toBe(true);
    const others = await sessionsOf(other.client);
    expect(others.items).toHaveLength(1);
    expect(others.items[0]!.id).not.toBe(items[0]!.id);

    const firstPage = (await laptop.get('/api/v1/sessions?limit=1')).json();
    expect(firstPage.items.map((session: SessionBody) => session.id)).toEqual([items[0]!.id]);
    const secondPage = (await laptop.get(`/api/v1/sessions?limit=1&cursor=${firstPage.nextCursor}`)).json();
    expect(secondPage.items.map((session: SessionBody) => session.id)).toEqual([items[1]!.id]);
    expect(secondPage.nextCursor).toBeNull();
  });

  it('ends one of the own sessions (204), which is refused from then on; another user’s is 404', async () => {
    const company = await registerCompany(t);
    const laptop = await login(t, company);
    const member = await addMember(t, company);
    const laptopId = (await sessionsOf(laptop)).items.find((session) => session.current)!.id;
    const memberId = (await sessionsOf(member.client)).items[0]!.id;

    expect((await remove(company.client, `/api/v1/sessions/${memberId}`)).statusCode).toBe(404);
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(200);

    expect((await remove(company.client, `/api/v1/sessions/${laptopId}`)).statusCode).toBe(204);
    expect((await laptop.get('/api/v1/me')).statusCode).toBe(401);
    expect((await company.client.get('/api/v1/me')).statusCode).toBe(200);
    expect((await remove(company.client, `/api/v1/sessions/${laptopId}`)).statusCode).toBe(404);

    const [row] = await t.db.asOwner<{ ended_reason: string }>('SELECT ended_reason FROM sessions WHERE id = $1', [laptopId]);
    expect(row!.ended_reason).toBe('ended_by_user');
  });

  it('ends the current session too, clearing the cookie', async () => {
    const company = await registerCompany(t);
    const currentId = (await sessionsOf(company.client)).items[0]!.id;
    const response = await remove(company.client, `/api/v1/sessions/${currentId}`);
    expect(response.statusCode).toBe(204);
    expect(response.cookies.find((cookie) => cookie.name === 'pactum_session')?.value).toBe('');
    expect((await company.client.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('lets a master end every session of a user (after a recent authentication); the user may sign in again', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const second = await login(t, member);

    await ageAuthentication(t, company.userId);
    const stale = await company.client.post(`/api/v1/users/${member.userId}/sessions/end`);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    await stepUp(t, company.client, company.phone);

    const response = await company.client.post(`/api/v1/users/${member.userId}/sessions/end`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ ended: 2 });
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(401);
    expect((await second.get('/api/v1/me')).statusCode).toBe(401);
    const rows = await t.db.asOwner<{ ended_reason: string }>('SELECT ended_reason FROM sessions WHERE user_id = $1', [member.userId]);
    expect(rows.map((row) => row.ended_reason)).toEqual(['ended_by_master', 'ended_by_master']);
    expect((await (await login(t, member)).get('/api/v1/me')).statusCode).toBe(200);

    const events = await storedEvents(t, company.tenantId);
    expect(events.find((event) => event.action === 'session.ended' && event.details.reason === 'ended_by_master')).toMatchObject({
      actor_id: company.userId,
      target_type: 'user',
      target_id: member.userId,
      details: { reason: 'ended_by_master', count: 2 },
    });
    expect(events.find((event) => event.action === 'auth.step_up')).toMatchObject({ actor_id: company.userId, target_type: 'session' });
  });

  it('needs a session for the list and for ending one', async () => {
    const anonymous = (await registerCompany(t)).client;
    anonymous.cookie = undefined;
    expect((await anonymous.get('/api/v1/sessions')).statusCode).toBe(401);
    expect((await remove(anonymous, '/api/v1/sessions/00000000-0000-4000-8000-000000000000')).statusCode).toBe(401);
  });
});
