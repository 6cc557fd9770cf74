import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChains } from '../../src/audit/verify.js';
import { addMember, createGroup } from '../helpers/members.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { ageAuthentication, expectIntactChain, patch, remove, storedEvents } from '../tenancy/helpers.js';

/**
 * Issue 9, finding 8: a refused change of who may see or do what rolls back with its own audit row, so
 * the refusal is recorded in a transaction of its own — bounded per actor, so a flood cannot fill the trail.
 */
describe(`refused attempts leave a bounded trace (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const refusals = async (tenantId: string) => (await storedEvents(t, tenantId)).filter((event) => event.outcome === 'denied');

  it('records refused role changes, revocations, membership changes and step-ups with actor, target and reason', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const groupId = await createGroup(t, company.tenantId, 'Legal', [member.userId]);

    const promote = await patch(member.client, `/api/v1/users/${member.userId}`, { role: 'master' });
    expect(promote.statusCode).toBe(403);
    const lastMaster = await company.client.post(`/api/v1/users/${company.userId}/revoke`, {});
    expect(lastMaster.json().code).toBe('last_master');
    await ageAuthentication(t, company.userId);
    const stale = await remove(company.client, `/api/v1/groups/${groupId}/members/${member.userId}`);
    expect(stale.json().code).toBe('reauthentication_required');
    const staleAdd = await company.client.request({ method: 'PUT', url: `/api/v1/groups/${groupId}/members/${company.userId}` });
    expect(staleAdd.json().code).toBe('reauthentication_required');

    const denied = await refusals(company.tenantId);
    expect(denied).toEqual([
      expect.objectContaining({
        action: 'user.role_change_refused',
        actor_id: member.userId,
        target_type: 'user',
        target_id: member.userId,
        details: { role: 'master', reason: 'forbidden' },
      }),
      expect.objectContaining({
        action: 'user.revoke_refused',
        actor_id: company.userId,
        target_id: company.userId,
        details: { reason: 'last_master' },
      }),
      expect.objectContaining({
        action: 'group.member_remove_refused',
        actor_id: company.userId,
        target_type: 'group',
        target_id: groupId,
        details: { groupId, userId: member.userId, reason: 'reauthentication_required' },
      }),
      expect.objectContaining({
        action: 'group.member_add_refused',
        actor_id: company.userId,
        target_id: groupId,
        details: { groupId, userId: company.userId, reason: 'reauthentication_required' },
      }),
    ]);
    expect(denied.every((event) => event.client_ip !== null)).toBe(true);
    // The refused changes themselves left nothing behind.
    expect(
      (await storedEvents(t, company.tenantId)).some((event) =>
        ['user.role_changed', 'user.revoked', 'group.member_removed'].includes(event.action),
      ),
    ).toBe(false);
    await expectIntactChain(t, company.tenantId);
  });

  it('records a refused step-up (the code caps are spent)', async () => {
    const company = await registerCompany(t);
    // The number's hourly cap is spent.
    await t.db.asOwner('INSERT INTO otp_deliveries (phone_e164, tenant_id, is_resend) SELECT $1, $2, false FROM generate_series(1, 20)', [
      company.phone,
      company.tenantId,
    ]);
    const refused = await company.client.post('/api/v1/auth/step-up');
    expect(refused.statusCode).toBe(429);
    const denied = await refusals(company.tenantId);
    expect(denied.at(-1)).toMatchObject({ action: 'auth.step_up_refused', actor_id: company.userId, details: { reason: 'rate_limited' } });
  });

  it('keeps at most 20 refusals per actor and minute, counts the rest, and the chain still verifies', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    for (let i = 0; i < 30; i++) {
      expect((await patch(member.client, `/api/v1/users/${company.userId}`, { role: 'member' })).statusCode).toBe(403);
    }
    let denied = await refusals(company.tenantId);
    expect(denied.filter((event) => event.action === 'user.role_change_refused')).toHaveLength(20);
    expect(denied.filter((event) => event.action === 'audit.refusals_throttled')).toEqual([
      expect.objectContaining({ actor_id: member.userId, target_id: member.userId, details: expect.objectContaining({ limit: 20 }) }),
    ]);
    const [budget] = await t.db.asOwner<{ recorded: number; suppressed: number }>(
      'SELECT recorded, suppressed FROM audit_refusal_budgets WHERE actor_id = $1',
      [member.userId],
    );
    expect(budget).toEqual({ recorded: 20, suppressed: 10 });

    // Another actor has a budget of their own.
    expect((await patch(company.client, `/api/v1/users/${company.userId}`, { role: 'member' })).json().code).toBe('last_master');

    // The next minute: the count of the suppressed refusals goes into the trail, then the refusal itself.
    await t.db.asOwner(`UPDATE audit_refusal_budgets SET window_start = window_start - interval '61 seconds' WHERE actor_id = $1`, [
      member.userId,
    ]);
    expect((await patch(member.client, `/api/v1/users/${company.userId}`, { role: 'member' })).statusCode).toBe(403);
    denied = await refusals(company.tenantId);
    expect(denied.slice(-2)).toEqual([
      expect.objectContaining({
        action: 'audit.refusals_suppressed',
        actor_id: member.userId,
        details: expect.objectContaining({ count: 10 }),
      }),
      expect.objectContaining({ action: 'user.role_change_refused', actor_id: member.userId }),
    ]);
    expect(denied.filter((event) => event.actor_id === company.userId).map((event) => event.action)).toEqual(['user.role_change_refused']);

    await expectIntactChain(t, company.tenantId);
    const verified = await t.db.database.withScriptSession((session) => verifyAuditChains(session.query));
    expect(verified.ok).toBe(true);
  });
});
