import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonths, todayUtc } from '../../src/deadlines/dates.js';
import { listDeadlines } from '../../src/deadlines/service.js';
import { inTenant } from '../../src/db/tenant-context.js';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { archiveContract, createContract, createVendor } from '../holdings/vault-fixtures.js';

describe(`deadlines: GET /api/v1/deadlines (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let insider: Member;
  let outsider: Member;
  let vendorId: string;
  const ids: Record<string, string> = {};
  const today = todayUtc();
  const day = (n: number) => addDays(today, n);
  const vendor = () => ({ id: vendorId, name: 'SAP' });

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    insider = await addMember(t, master);
    outsider = await addMember(t, master);
    const finance = await createGroup(t, master.tenantId, 'Finance', [master.userId, insider.userId]);
    vendorId = await createVendor(master.client, 'SAP');
    const c = (title: string, spec: Omit<Parameters<typeof createContract>[1], 'title' | 'vendorId'>) =>
      createContract(master.client, { vendorId, title, ...spec });

    ids.both = await c('A both in window', { endsOn: day(60), noticePeriodDays: 30 });
    ids.noticeOnly = await c('B notice in window', { endsOn: day(100), noticePeriodDays: 30 });
    ids.endOnly = await c('C notice passed', { endsOn: day(20), noticePeriodDays: 30 });
    ids.noPeriod = await c('D no notice period', { endsOn: day(5) });
    ids.todayZero = await c('E ends today', { endsOn: today, noticePeriodDays: 0 });
    ids.edge = await c('F ends on day 90', { endsOn: day(90) });
    await c('G ends on day 91', { endsOn: day(91) });
    await c('H perpetual', { endsOn: null });
    await c('I expired', { status: 'expired', endsOn: day(10), noticePeriodDays: 5 });
    await c('J pending proposal', { kind: 'proposal', endsOn: day(10), noticePeriodDays: 5 });
    await c('K ended yesterday', { endsOn: day(-1) });
    const archived = await c('L archived', { endsOn: day(10) });
    await archiveContract(master.client, archived);
    // Auto-renewing, first end date already past: rolled forward by whole years from the original end.
    ids.rolled = await c('M renews yearly', {
      startsOn: '2019-01-01',
      endsOn: day(-10),
      noticePeriodDays: 30,
      autoRenew: true,
      renewalTermMonths: 12,
    });
    // Auto-renewing, end still ahead but its notice date has passed: the next month's term is current.
    ids.monthly = await c('N renews monthly', { endsOn: day(40), noticePeriodDays: 60, autoRenew: true, renewalTermMonths: 1 });
    ids.restricted = await c('O finance only', { endsOn: day(50), noticePeriodDays: 10, groupIds: [finance] });
  });
  afterAll(() => t.close());

  it('lists notice and end dates from today through today + 90 days, soonest first', async () => {
    const response = await master.client.get('/api/v1/deadlines');
    expect(response.statusCode, response.body).toBe(200);
    const monthlyEnd = addMonths(day(40), 1);
    const expected = [
      { contractId: ids.todayZero, title: 'E ends today', type: 'notice', date: today },
      { contractId: ids.todayZero, title: 'E ends today', type: 'end', date: today },
      { contractId: ids.noPeriod, title: 'D no notice period', type: 'end', date: day(5) },
      { contractId: ids.endOnly, title: 'C notice passed', type: 'end', date: day(20) },
      { contractId: ids.both, title: 'A both in window', type: 'notice', date: day(30) },
      { contractId: ids.restricted, title: 'O finance only', type: 'notice', date: day(40) },
      { contractId: ids.restricted, title: 'O finance only', type: 'end', date: day(50) },
      { contractId: ids.both, title: 'A both in window', type: 'end', date: day(60) },
      { contractId: ids.noticeOnly, title: 'B notice in window', type: 'notice', date: day(70) },
      { contractId: ids.edge, title: 'F ends on day 90', type: 'end', date: day(90) },
      { contractId: ids.monthly, title: 'N renews monthly', type: 'notice', date: addDays(monthlyEnd, -60) },
      { contractId: ids.monthly, title: 'N renews monthly', type: 'end', date: monthlyEnd },
    ]
      .filter((deadline) => deadline.date <= day(90))
      .map((deadline) => ({ ...deadline, vendor: vendor() }));
    const order = (a: { date: string; type: string }, b: { date: string; type: string }) =>
      a.date === b.date ? (a.type === 'notice' ? -1 : 1) : a.date < b.date ? -1 : 1;
    expect(response.json()).toEqual(expected.sort(order));
  });

  it('rolls an auto-renewing contract forward to its current term', async () => {
    const response = await master.client.get('/api/v1/deadlines?withinDays=400');
    const rolled = response.json().filter((deadline: { contractId: string }) => deadline.contractId === ids.rolled);
    const termEnd = addMonths(day(-10), 12);
    expect(rolled).toEqual([
      { contractId: ids.rolled, title: 'M renews yearly', vendor: vendor(), type: 'notice', date: addDays(termEnd, -30) },
      { contractId: ids.rolled, title: 'M renews yearly', vendor: vendor(), type: 'end', date: termEnd },
    ]);
    const dates = response.json().map((deadline: { date: string }) => deadline.date);
    expect(dates).toEqual([...dates].sort());
  });

  it('accepts withinDays from 1 to 3650 and nothing else from the query', async () => {
    const one = (await master.client.get('/api/v1/deadlines?withinDays=1')).json();
    expect(one.map((deadline: { contractId: string }) => deadline.contractId)).toEqual([ids.todayZero, ids.todayZero]);
    expect((await master.client.get('/api/v1/deadlines?withinDays=3650')).statusCode).toBe(200);
    for (const query of ['withinDays=0', 'withinDays=3651', 'withinDays=abc', 'withinDays=1.5', `today=${day(-400)}`]) {
      const response = await master.client.get(`/api/v1/deadlines?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
  });

  it('answers at most `limit` (1 to 500, default 500) deadlines, the soonest ones', async () => {
    const all: Array<{ contractId: string; date: string; type: string }> = (
      await master.client.get('/api/v1/deadlines?withinDays=400')
    ).json();
    expect(all.length).toBeGreaterThan(2);
    expect((await master.client.get('/api/v1/deadlines?withinDays=400&limit=2')).json()).toEqual(all.slice(0, 2));
    expect((await master.client.get('/api/v1/deadlines?withinDays=400&limit=500')).json()).toEqual(all);
    for (const limit of ['0', '501'])
      expect((await master.client.get(`/api/v1/deadlines?limit=${limit}`)).json().code).toBe('validation_failed');
  });

  it('computes from an injected today in the service', async () => {
    const later = await inTenant(t.db.database.kysely, { tenantId: master.tenantId, userId: master.userId }, (tx) =>
      listDeadlines(tx, { withinDays: 366 }, addMonths(today, 60)),
    );
    // Five years on only the auto-renewing contracts are still running.
    expect(new Set(later.map((deadline) => deadline.contractId))).toEqual(new Set([ids.rolled, ids.monthly]));
    expect(later.every((deadline) => deadline.date >= addMonths(today, 60))).toBe(true);
  });

  it('shows a restricted contract’s deadlines only to members of its groups', async () => {
    const inside = (await insider.client.get('/api/v1/deadlines')).json();
    expect(inside.filter((deadline: { contractId: string }) => deadline.contractId === ids.restricted)).toHaveLength(2);
    const outside = await outsider.client.get('/api/v1/deadlines');
    expect(outside.statusCode).toBe(200);
    expect(outside.json().length).toBe(inside.length - 2);
    expect(outside.body).not.toContain(ids.restricted);
  });

  it('shows another tenant nothing and refuses an anonymous caller', async () => {
    const other = await registerCompany(t);
    const foreign = await other.client.get('/api/v1/deadlines?withinDays=3650');
    expect(foreign.statusCode).toBe(200);
    expect(foreign.json()).toEqual([]);
    const anonymous = await new Client(t).get('/api/v1/deadlines');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('unauthenticated');
  });
});
