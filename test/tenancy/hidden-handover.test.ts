import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContract, createVendor } from '../holdings/vault-fixtures.js';
import { addMember, createGroup } from '../helpers/members.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { expectIntactChain, orphanedContracts, ownerContract, ownerVendor, remove, storedEvents } from './helpers.js';

/**
 * Issue 9, finding 1: a 409 handover_required names only the contracts the caller can see and counts the
 * rest, although the database functions behind it see every contract. Refused attempts are audited.
 */
describe(`hand-over answers hide what the caller cannot see (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const SECRET = 'Secret settlement with Initrode';

  it('revocation: lists visible contracts, counts hidden ones, and a successor still takes them all over', async () => {
    const company = await registerCompany(t);
    const leaving = await addMember(t, company, { name: 'Leaving Member' });
    const staying = await addMember(t, company, { name: 'Staying Member' });
    const vendorId = await createVendor(company.client, 'Oracle');
    const managed = await createContract(company.client, { vendorId, title: 'Database licences', managerId: leaving.userId });
    const legal = await createGroup(t, company.tenantId, 'Legal', [leaving.userId]);
    const secret = await ownerContract(t, company.tenantId, {
      vendorId: await ownerVendor(t, company.tenantId, 'Counsel'),
      title: SECRET,
      managerId: company.userId,
      groupIds: [legal],
    });
    expect((await company.client.get(`/api/v1/contracts/${secret}`)).statusCode).toBe(404);

    const refused = await company.client.post(`/api/v1/users/${leaving.userId}/revoke`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'handover_required',
      contracts: [{ id: managed, title: 'Database licences', managed: true }],
      hiddenContractCount: 1,
    });
    expect(refused.body).not.toContain(SECRET);
    expect(refused.body).not.toContain(secret);

    const handed = await company.client.post(`/api/v1/users/${leaving.userId}/revoke`, { successorId: staying.userId });
    expect(handed.statusCode, handed.body).toBe(200);
    expect(handed.json().handedOver).toEqual({ contracts: 2 });
    expect(handed.body).not.toContain(SECRET);
    expect((await staying.client.get(`/api/v1/contracts/${secret}`)).statusCode).toBe(200);
    expect(await orphanedContracts(t, company.tenantId)).toEqual([]);

    const events = await storedEvents(t, company.tenantId);
    expect(events.find((event) => event.action === 'user.revoke_refused')).toMatchObject({
      actor_id: company.userId,
      target_id: leaving.userId,
      outcome: 'denied',
      details: { reason: 'handover_required' },
    });
    expect(JSON.stringify(events)).not.toContain(SECRET);
    await expectIntactChain(t, company.tenantId);
  });

  it('group membership: names contracts the caller saw before the removal, counts the others, and audits the refusal', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const vendorId = await ownerVendor(t, company.tenantId, 'Counsel');
    // Seen only by the member: the master must not learn its title.
    const hiddenGroup = await createGroup(t, company.tenantId, 'Board', [member.userId]);
    await ownerContract(t, company.tenantId, { vendorId, title: SECRET, managerId: member.userId, groupIds: [hiddenGroup] });
    const refused = await remove(company.client, `/api/v1/groups/${hiddenGroup}/members/${member.userId}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'handover_required', contracts: [], hiddenContractCount: 1 });
    expect(refused.body).not.toContain(SECRET);

    // Seen by the master alone: leaving its group would orphan it, and the master may read its title.
    const ownGroup = await createGroup(t, company.tenantId, 'Procurement', [company.userId]);
    const own = await ownerContract(t, company.tenantId, {
      vendorId,
      title: 'Own negotiation',
      managerId: company.userId,
      groupIds: [ownGroup],
    });
    const self = await remove(company.client, `/api/v1/groups/${ownGroup}/members/${company.userId}`);
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ contracts: [{ id: own, title: 'Own negotiation' }], hiddenContractCount: 0 });

    const events = await storedEvents(t, company.tenantId);
    expect(events.filter((event) => event.action === 'group.member_remove_refused')).toEqual([
      expect.objectContaining({
        actor_id: company.userId,
        target_id: hiddenGroup,
        details: { groupId: hiddenGroup, userId: member.userId, reason: 'handover_required' },
      }),
      expect.objectContaining({
        actor_id: company.userId,
        target_id: ownGroup,
        details: { groupId: ownGroup, userId: company.userId, reason: 'handover_required' },
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    // Rolled back: both still members.
    const members = await t.db.asOwner<{ user_id: string }>(
      'SELECT user_id FROM access_group_members WHERE group_id = ANY($1::uuid[]) ORDER BY user_id',
      [[hiddenGroup, ownGroup]],
    );
    expect(members.map((row) => row.user_id).sort()).toEqual([member.userId, company.userId].sort());
  });
});
