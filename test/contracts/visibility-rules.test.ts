import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { ageAuthentication, stepUp, storedEvents } from '../tenancy/helpers.js';
import { contractBody, createContract, createProduct, createVendor, patch } from './helpers.js';

/**
 * Issue 9, finding 2 (promise 2: the master defines who sees which contract). A member restricts a new
 * contract only to their own groups; afterwards only a master, freshly authenticated, changes its groups.
 * Every refusal is audited.
 */
describe(`who sets a contract's access groups (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let member: Member;
  let vendorId: string;
  let productId: string;
  let memberGroup: string;
  let otherGroup: string;
  let masterGroup: string;

  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
    member = await addMember(t, company);
    const colleague = await addMember(t, company);
    vendorId = await createVendor(company.client, 'Oracle');
    productId = await createProduct(company.client, vendorId, 'Database');
    memberGroup = await createGroup(t, company.tenantId, 'Procurement', [member.userId, company.userId]);
    otherGroup = await createGroup(t, company.tenantId, 'Board', [colleague.userId]);
    masterGroup = await createGroup(t, company.tenantId, 'Masters', [company.userId]);
  });
  afterAll(() => t.close());

  const refusals = async () =>
    (await storedEvents(t, company.tenantId)).filter((event) => event.action === 'contract.visibility_change_refused');

  it('lets a member restrict a new contract only to groups they belong to; a master to any group', async () => {
    const mixed = await member.client.post('/api/v1/contracts', contractBody(vendorId, productId, { groupIds: [memberGroup, otherGroup] }));
    expect(mixed.statusCode, mixed.body).toBe(403);
    expect(mixed.json().code).toBe('forbidden');
    const own = await createContract(member.client, contractBody(vendorId, productId, { groupIds: [memberGroup] }));
    expect(own.groupIds).toEqual([memberGroup]);
    const master = await createContract(company.client, contractBody(vendorId, productId, { groupIds: [masterGroup, otherGroup] }));
    expect([...master.groupIds].sort()).toEqual([masterGroup, otherGroup].sort());
    expect(await refusals()).toEqual([
      expect.objectContaining({
        actor_id: member.userId,
        outcome: 'denied',
        details: { groupIdsRequested: [memberGroup, otherGroup].sort(), reason: 'forbidden' },
      }),
    ]);
  });

  it('refuses a member who changes the groups of a contract they see (403) and hides those they cannot see (404)', async () => {
    const visible = await createContract(
      member.client,
      contractBody(vendorId, productId, { title: 'Restricted by a member', groupIds: [memberGroup] }),
    );
    const before = (await refusals()).length;
    for (const groupIds of [[], [memberGroup, masterGroup]]) {
      const refused = await patch(member.client, `/api/v1/contracts/${visible.id}`, { groupIds });
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json().code).toBe('forbidden');
    }
    expect((await company.client.get(`/api/v1/contracts/${visible.id}`)).json().groupIds).toEqual([memberGroup]);
    // Sending the groups unchanged (a form that posts every field) is no change.
    const unchanged = await patch(member.client, `/api/v1/contracts/${visible.id}`, { title: 'Renamed', groupIds: [memberGroup] });
    expect(unchanged.statusCode, unchanged.body).toBe(200);

    const hidden = await createContract(company.client, contractBody(vendorId, productId, { groupIds: [masterGroup] }));
    const invisible = await patch(member.client, `/api/v1/contracts/${hidden.id}`, { groupIds: [] });
    expect(invisible.statusCode).toBe(404);

    const logged = (await refusals()).slice(before);
    expect(logged).toEqual([
      expect.objectContaining({
        actor_id: member.userId,
        target_type: 'contract',
        target_id: visible.id,
        details: { groupIdsRequested: [], reason: 'forbidden' },
      }),
      expect.objectContaining({
        actor_id: member.userId,
        target_id: visible.id,
        details: { groupIdsRequested: [memberGroup, masterGroup].sort(), reason: 'forbidden' },
      }),
    ]);
  });

  it("lets a master change groups only within 15 minutes of authenticating, keeping their and the manager's sight, and audits it", async () => {
    const contract = await createContract(
      company.client,
      contractBody(vendorId, productId, { title: 'Lifted later', groupIds: [memberGroup], managerId: member.userId }),
    );
    await ageAuthentication(t, company.userId);
    const stale = await patch(company.client, `/api/v1/contracts/${contract.id}`, { groupIds: [] });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    await stepUp(t, company.client, company.phone);
    // Neither the master nor the manager may lose sight of it.
    const blind = await patch(company.client, `/api/v1/contracts/${contract.id}`, { groupIds: [otherGroup] });
    expect(blind.statusCode).toBe(400);
    const lifted = await patch(company.client, `/api/v1/contracts/${contract.id}`, { groupIds: [] });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json().groupIds).toEqual([]);

    const events = await storedEvents(t, company.tenantId);
    expect(events.filter((event) => event.target_id === contract.id).map((event) => [event.action, event.details.reason ?? null])).toEqual([
      ['contract.visibility_changed', null],
      ['contract.visibility_change_refused', 'reauthentication_required'],
      ['contract.visibility_change_refused', 'validation_failed'],
      ['contract.visibility_changed', null],
    ]);
  });

  it("keeps a restricted proposal's groups on its next version and on the contract its acceptance makes", async () => {
    const proposal = await createContract(
      member.client,
      contractBody(vendorId, productId, { kind: 'proposal', title: 'Offer v1', groupIds: [memberGroup] }),
    );
    const lifted = await member.client.post(
      '/api/v1/contracts',
      contractBody(vendorId, productId, { kind: 'proposal', title: 'Offer v2', supersedesId: proposal.id, groupIds: [] }),
    );
    expect(lifted.statusCode, lifted.body).toBe(403);
    expect((await member.client.get(`/api/v1/contracts/${proposal.id}`)).json().status).toBe('pending');
    const next = await createContract(
      member.client,
      contractBody(vendorId, productId, { kind: 'proposal', title: 'Offer v2', supersedesId: proposal.id }),
    );
    expect(next.groupIds).toEqual([memberGroup]);
    const accepted = await member.client.post(`/api/v1/contracts/${next.id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json().groupIds).toEqual([memberGroup]);
  });
});
