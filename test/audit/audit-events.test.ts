import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditAction } from '../../src/audit/actions.js';
import { recordAudit } from '../../src/audit/record.js';
import { addDays, todayUtc } from '../../src/deadlines/dates.js';
import { inTenant } from '../../src/db/tenant-context.js';
import { addToGroup, newGroup, put } from '../groups/helpers.js';
import { addMember, type Member } from '../helpers/members.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

interface EventBody {
  id: string;
  seq: number;
  occurredAt: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

describe(`GET /api/v1/audit-events (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let otherMaster: Member;
  let member: Member;
  let groupId: string;

  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t, { companyName: 'Audited AG' });
    otherMaster = await addMember(t, company, { role: 'master' });
    member = await addMember(t, company);
    groupId = (await newGroup(company.client, 'Auditors')).id;
    await addToGroup(company.client, groupId, member.userId);
    const byOther = await otherMaster.client.request({
      method: 'PUT',
      url: `/api/v1/groups/${groupId}/members/${otherMaster.userId}`,
      headers: { 'user-agent': 'Pactum-Test/1.0 (audit)' },
    });
    expect(byOther.statusCode, byOther.body).toBe(204);
    await newGroup(otherMaster.client, 'Second');
  });
  afterAll(() => t.close());

  const list = async (query = '') => {
    const response = await company.client.get(`/api/v1/audit-events${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { items: EventBody[]; nextCursor: string | null };
  };

  it('lists the trail newest first with who, what, from where and the outcome', async () => {
    const { items } = await list('?limit=500');
    const seqs = items.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const added = items.find((event) => event.action === 'group.member_added' && event.actorId === otherMaster.userId);
    expect(added).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      occurredAt: expect.any(String),
      actorId: otherMaster.userId,
      action: 'group.member_added',
      targetType: 'group',
      targetId: groupId,
      clientIp: '127.0.0.1',
      userAgent: 'Pactum-Test/1.0 (audit)',
      outcome: 'success',
      details: { groupId, userId: otherMaster.userId, self: true },
    });
    expect(new Date(added!.occurredAt).toISOString()).toBe(added!.occurredAt);
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.occurredAt >= items[i]!.occurredAt).toBe(true);
  });

  it('pages with a cursor through every event exactly once', async () => {
    const everything = (await list('?limit=500')).items.map((event) => event.id);
    const seen: string[] = [];
    let page = await list('?limit=2');
    seen.push(...page.items.map((event) => event.id));
    while (page.nextCursor) {
      page = await list(`?limit=2&cursor=${page.nextCursor}`);
      seen.push(...page.items.map((event) => event.id));
    }
    expect(seen).toEqual(everything);
  });

  it('filters by actor, by action or family of actions, and by time', async () => {
    const byOther = (await list(`?actorId=${otherMaster.userId}`)).items;
    expect(byOther.length).toBeGreaterThanOrEqual(2);
    expect(byOther.every((event) => event.actorId === otherMaster.userId)).toBe(true);

    const added = (await list('?action=group.member_added')).items;
    expect(added.map((event) => event.details.userId).sort()).toEqual([member.userId, otherMaster.userId].sort());
    const family = (await list('?action=group.*')).items.map((event) => event.action);
    expect(new Set(family)).toEqual(new Set(['group.created', 'group.member_added']));
    expect((await list('?action=group.member_added&actorId=' + company.userId)).items).toHaveLength(1);

    const all = (await list('?limit=500')).items;
    const oldest = all.at(-1)!;
    expect((await list(`?from=${encodeURIComponent(oldest.occurredAt)}&limit=500`)).items).toHaveLength(all.length);
    expect((await list('?from=2999-01-01T00:00:00Z')).items).toEqual([]);
    expect((await list('?to=2000-01-01T00:00:00Z')).items).toEqual([]);
    expect((await list('?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z&limit=500')).items).toHaveLength(all.length);
  });

  it('returns details exactly as recorded, nested values and events without an actor included', async () => {
    const details = { list: [1, 'two', { three: 3 }], nested: { flag: true, none: null }, text: 'Zürich ✓' };
    await inTenant(t.db.database.kysely, { tenantId: company.tenantId, userId: null }, (tx) =>
      recordAudit(
        tx,
        { actorId: null, ip: null, userAgent: null },
        // An action no code records any more, as a row of an older version may carry: still listed and filtered.
        { action: 'test.nested' as AuditAction, outcome: 'failure', details },
      ),
    );
    const [event] = (await list('?action=test.nested')).items;
    expect(event).toMatchObject({
      action: 'test.nested',
      actorId: null,
      clientIp: null,
      userAgent: null,
      targetType: null,
      targetId: null,
      outcome: 'failure',
      details,
    });
  });

  it('rejects malformed filters and cursors with 400', async () => {
    for (const query of [
      '?actorId=nobody',
      '?action=DROP TABLE',
      '?action=group.**',
      '?from=yesterday',
      '?to=2025-02-30',
      '?from=2025-1-1',
      '?to=2025-01-01T10:00',
      '?limit=0',
      '?limit=501',
      '?cursor=bm9wZQ',
      '?extra=1',
    ]) {
      const response = await company.client.get(`/api/v1/audit-events${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
  });

  it('answers 403 forbidden to a member, whatever the filters, and for the list of actions', async () => {
    for (const query of ['', `?actorId=${member.userId}`, '?from=2000-01-01']) {
      const response = await member.client.get(`/api/v1/audit-events${query}`);
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('forbidden');
    }
    const actions = await member.client.get('/api/v1/audit-events/actions');
    expect(actions.statusCode).toBe(403);
    expect(actions.json().code).toBe('forbidden');
  });

  it('takes a day for from and to, meaning the whole day in UTC', async () => {
    const all = (await list('?limit=500')).items;
    // The day of the oldest event (the run may cross midnight UTC: the expectations follow the events).
    const today = all.at(-1)!.occurredAt.slice(0, 10);
    const onToday = all.filter((event) => event.occurredAt.startsWith(today));
    expect(onToday.length).toBeGreaterThan(1);
    expect((await list(`?from=${today}&to=${today}&limit=500`)).items).toEqual(onToday);
    expect((await list(`?from=${today}&limit=500`)).items).toEqual(all);
    expect((await list(`?to=${today}&limit=500`)).items).toEqual(onToday);
    expect((await list(`?to=${addDays(today, -1)}`)).items).toEqual([]);
    expect((await list(`?from=${addDays(todayUtc(), 1)}`)).items).toEqual([]);
    // A day and a timestamp mix: from a moment inside the day to the day's end.
    const middle = all[Math.floor(all.length / 2)]!;
    const fromMiddle = (await list(`?from=${encodeURIComponent(middle.occurredAt)}&to=${today}&limit=500`)).items;
    expect(fromMiddle).toEqual(onToday.filter((event) => event.occurredAt >= middle.occurredAt));
    // An offset is a moment like any other: one second after the newest event, written in UTC+1.
    const inUtcPlusOne = (millis: number) => `${new Date(millis + 3_600_000).toISOString().slice(0, 19)}+01:00`;
    const afterNewest = inUtcPlusOne(Date.parse(all[0]!.occurredAt) + 1000);
    expect((await list(`?to=${encodeURIComponent(afterNewest)}&limit=500`)).items).toEqual(all);
    expect((await list(`?from=${encodeURIComponent(afterNewest)}&limit=500`)).items).toEqual([]);
  });

  it('pages with filters: every matching event exactly once, in order, whatever the page size', async () => {
    const walk = async (filters: string, limit: number) => {
      const seen: string[] = [];
      let page = await list(`?${filters}&limit=${limit}`);
      seen.push(...page.items.map((event) => event.id));
      while (page.nextCursor) {
        page = await list(`?${filters}&limit=${limit}&cursor=${page.nextCursor}`);
        seen.push(...page.items.map((event) => event.id));
      }
      return seen;
    };
    const all = (await list('?limit=500')).items;
    const cases: Array<[string, (event: EventBody) => boolean]> = [
      [`actorId=${otherMaster.userId}`, (event) => event.actorId === otherMaster.userId],
      ['action=group.*', (event) => event.action.startsWith('group.')],
      ['action=group.member_added', (event) => event.action === 'group.member_added'],
      [`from=${todayUtc()}&action=auth.login`, (event) => event.action === 'auth.login'],
    ];
    for (const [filters, matches] of cases) {
      const expected = all.filter(matches).map((event) => event.id);
      expect(expected.length, filters).toBeGreaterThan(1);
      for (const limit of [1, 2]) expect(await walk(filters, limit), `${filters} limit=${limit}`).toEqual(expected);
    }
  });

  it('continues after the cursor event even when the filters do not match it', async () => {
    const all = (await list('?limit=500')).items;
    const index = all.findIndex((event) => event.action !== 'group.member_added');
    const cursor = (await list(`?limit=${index + 1}`)).nextCursor!;
    const rest = (await list(`?action=group.member_added&limit=500&cursor=${cursor}`)).items;
    expect(rest).toEqual(all.slice(index + 1).filter((event) => event.action === 'group.member_added'));
  });

  it("refuses a cursor that names no event of this company's trail", async () => {
    const foreign = await registerCompany(t, { companyName: 'Foreign Audit AG' });
    const foreignCursor = (await foreign.client.get('/api/v1/audit-events?limit=1')).json().nextCursor;
    expect(foreignCursor).toEqual(expect.any(String));
    const unknown = Buffer.from(JSON.stringify(['1', crypto.randomUUID()])).toString('base64url');
    for (const cursor of [foreignCursor, unknown]) {
      const response = await company.client.get(`/api/v1/audit-events?cursor=${cursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
  });

  it('lists the actions the code records for the action filter, a bounded list', async () => {
    const response = await company.client.get('/api/v1/audit-events/actions');
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as { items: string[] };
    expect(items).toEqual([...AUDIT_ACTIONS]);
    expect(items).toEqual([...items].sort());
    expect(new Set(items).size).toBe(items.length);
    for (const action of items) expect(action).toMatch(/^[a-z][a-z_]*\.[a-z][a-z_]*$/);
    const recorded = new Set((await list('?limit=500')).items.map((event) => event.action));
    recorded.delete('test.nested');
    for (const action of recorded) expect(items).toContain(action);
    expect(items).toEqual(expect.arrayContaining(['auth.login', 'group.created', 'group.member_added', 'invitation.created']));
  });

  it('cannot be written through the API', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const response = await company.client.request({ method, url: '/api/v1/audit-events', payload: {} });
      expect([404, 405]).toContain(response.statusCode);
    }
    expect((await put(company.client, `/api/v1/audit-events/${crypto.randomUUID()}`)).statusCode).toBe(404);
  });
});
