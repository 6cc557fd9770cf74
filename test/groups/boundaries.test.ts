import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { addToGroup, newGroup } from './helpers.js';

/**
 * The threat model of group administration: an anonymous caller (401), another tenant's master (404 on
 * every id, nothing listed, nothing changed) and a member of the same tenant (403 on every write).
 */
describe(`access group boundaries (${engineName})`, () => {
  let t: TestApp;
  let owner: Registered;
  let stranger: Registered;
  let member: Member;
  let groupId: string;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerCompany(t, { companyName: 'Group Owner AG' });
    stranger = await registerCompany(t, { companyName: 'Stranger GmbH' });
    member = await addMember(t, owner);
    groupId = (await newGroup(owner.client, 'Board', 'The board')).id;
    await addToGroup(owner.client, groupId, member.userId);
  });
  afterAll(() => t.close());

  /** Every route on an existing group, with a body where one is needed. */
  const idRoutes = (id: string, userId: string) =>
    [
      ['GET', `/api/v1/groups/${id}`, undefined],
      ['PATCH', `/api/v1/groups/${id}`, { name: 'Hijacked' }],
      ['DELETE', `/api/v1/groups/${id}`, undefined],
      ['PUT', `/api/v1/groups/${id}/members/${userId}`, undefined],
      ['DELETE', `/api/v1/groups/${id}/members/${userId}`, undefined],
    ] as const;

  const call = (client: Client, [method, url, payload]: readonly [string, string, object | undefined]) =>
    client.request({ method, url, ...(payload ? { payload } : {}) });

  const ownerView = async () => (await owner.client.get(`/api/v1/groups/${groupId}`)).json();

  it('answers 401 to an anonymous caller on every route', async () => {
    const anonymous = new Client(t);
    for (const route of [
      ...idRoutes(groupId, member.userId),
      ['GET', '/api/v1/groups', undefined],
      ['POST', '/api/v1/groups', { name: 'Anon' }],
    ] as const) {
      const response = await call(anonymous, route);
      expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(401);
      expect(response.json().code).toBe('unauthenticated');
    }
  });

  it("answers 404 to another tenant's master on every group route and lists nothing", async () => {
    const before = await ownerView();
    for (const userId of [member.userId, stranger.userId]) {
      for (const route of idRoutes(groupId, userId)) {
        const response = await call(stranger.client, route);
        expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(404);
        expect(response.json().code).toBe('not_found');
        expect(response.body).not.toContain('Board');
      }
    }
    expect((await stranger.client.get('/api/v1/groups?limit=500')).json()).toEqual({ items: [], nextCursor: null });
    // Its own group of the same name is no conflict, and the owner's group is untouched.
    await newGroup(stranger.client, 'Board');
    expect(await ownerView()).toEqual(before);
  });

  it("answers 404 when the owner aims at another tenant's user or group", async () => {
    const foreignGroup = (await newGroup(stranger.client, 'Foreign')).id;
    expect((await call(owner.client, ['PUT', `/api/v1/groups/${groupId}/members/${stranger.userId}`, undefined])).statusCode).toBe(404);
    for (const route of idRoutes(foreignGroup, owner.userId)) {
      expect((await call(owner.client, route)).statusCode, `${route[0]} ${route[1]}`).toBe(404);
    }
  });

  it('answers 403 to a member on every write, while reads work', async () => {
    const before = await ownerView();
    for (const route of [
      ...idRoutes(groupId, member.userId).filter(([method]) => method !== 'GET'),
      ['POST', '/api/v1/groups', { name: 'Member made' }],
    ] as const) {
      const response = await call(member.client, route);
      expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(403);
      expect(response.json().code).toBe('forbidden');
    }
    expect((await member.client.get(`/api/v1/groups/${groupId}`)).json()).toEqual(before);
    expect((await member.client.get('/api/v1/groups')).json().items.map((g: { id: string }) => g.id)).toEqual([groupId]);
  });

  it('answers 403 to a member and 401 to an anonymous caller on the audit trail, and shows another tenant nothing', async () => {
    expect((await new Client(t).get('/api/v1/audit-events')).statusCode).toBe(401);
    const denied = await member.client.get('/api/v1/audit-events');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('forbidden');
    const theirs = (await stranger.client.get('/api/v1/audit-events?limit=500')).json().items as Array<{ targetId: string | null }>;
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.map((event) => event.targetId)).not.toContain(groupId);
    const ours = (await owner.client.get('/api/v1/audit-events?limit=500')).json().items as Array<{ targetId: string | null }>;
    expect(ours.map((event) => event.targetId)).toContain(groupId);
  });
});
