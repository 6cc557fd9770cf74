import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { addGroup, addUser, contractBody, createContract, createProduct, createVendor, paths, type Member } from './helpers.js';

/**
 * The threat model of the vault: another tenant, a member outside the contract's access groups, a master
 * outside them, and an anonymous caller. Each gets 404 (or 401) and no trace of what it may not see.
 */
describe(`contract boundaries (${engineName})`, () => {
  let t: TestApp;
  let owner: Registered;
  let stranger: Registered;
  let insider: Member;
  let outsider: Member;
  let otherMaster: Member;
  let vendorId: string;
  let productId: string;
  let groupId: string;
  let open: { id: string; title: string };
  let restricted: { id: string; title: string };
  let restrictedOffer: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerCompany(t, { companyName: 'Vault Owner AG' });
    stranger = await registerCompany(t, { companyName: 'Stranger GmbH' });
    insider = await addUser(t, owner);
    outsider = await addUser(t, owner);
    otherMaster = await addUser(t, owner, 'master');
    vendorId = await createVendor(owner.client, 'Broadcom');
    productId = await createProduct(owner.client, vendorId, 'vSphere Foundation');
    groupId = await addGroup(t, owner.tenantId, 'Board', [owner.userId, insider.userId]);
    open = await createContract(owner.client, contractBody(vendorId, productId, { title: 'Open licences' }));
    restricted = await createContract(
      owner.client,
      contractBody(vendorId, productId, { title: 'Secret merger licences', groupIds: [groupId], managerId: insider.userId }),
    );
    restrictedOffer = await createContract(
      owner.client,
      contractBody(vendorId, productId, { title: 'Secret offer', kind: 'proposal', groupIds: [groupId] }),
    );
  });
  afterAll(() => t.close());

  /** Every route of the plugin, aimed at an id that exists in the owner's tenant. */
  const routes = (contractId: string, proposalId: string) =>
    [
      ['GET', `/api/v1/contracts/${contractId}`, undefined],
      ['PATCH', `/api/v1/contracts/${contractId}`, { title: 'Hijacked' }],
      ['DELETE', `/api/v1/contracts/${contractId}`, undefined],
      ['POST', `/api/v1/contracts/${proposalId}/accept`, undefined],
    ] as const;

  const call = (client: Client, [method, url, payload]: readonly [string, string, object | undefined]) =>
    client.request({ method, url, ...(payload ? { payload } : {}) });

  const listedIds = async (client: Client, query = '') => {
    const response = await client.get(`/api/v1/contracts?limit=500${query}`);
    expect(response.statusCode).toBe(200);
    return response.json().items.map((item: { id: string }) => item.id);
  };

  it('answers 401 to an anonymous caller on every route', async () => {
    const anonymous = new Client(t);
    for (const route of [
      ...routes(open.id, restrictedOffer.id),
      ['GET', '/api/v1/contracts', undefined],
      ['POST', '/api/v1/contracts', contractBody(vendorId, productId)],
      ['GET', `/api/v1/vendors/${vendorId}/contract-totals`, undefined],
    ] as const) {
      const response = await call(anonymous, route);
      expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(401);
      expect(response.json().code).toBe('unauthenticated');
    }
  });

  it('answers 404 to another tenant on every route and never lists the contracts', async () => {
    for (const [contractId, proposalId] of [
      [open.id, restrictedOffer.id],
      [restricted.id, restrictedOffer.id],
    ]) {
      for (const route of routes(contractId!, proposalId!)) {
        const response = await call(stranger.client, route);
        expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(404);
        expect(response.json().code).toBe('not_found');
      }
    }
    expect((await stranger.client.get(`/api/v1/vendors/${vendorId}/contract-totals`)).statusCode).toBe(404);
    expect(await listedIds(stranger.client)).toEqual([]);
    expect(await listedIds(stranger.client, `&vendorId=${vendorId}`)).toEqual([]);
    expect(await listedIds(stranger.client, '&q=licences')).toEqual([]);
    // Nothing changed on the owner's side.
    expect((await owner.client.get(`/api/v1/contracts/${open.id}`)).json().title).toBe('Open licences');
  });

  it("reports another tenant's ids in a body as invalid fields, not as existing", async () => {
    const ownVendor = await createVendor(stranger.client, 'Stranger Vendor');
    const response = await stranger.client.post(
      '/api/v1/contracts',
      contractBody(vendorId, productId, { managerId: owner.userId, groupIds: [groupId], supersedesId: open.id }),
    );
    expect(response.statusCode).toBe(400);
    expect(paths(response).sort()).toEqual([
      'body:/groupIds/0',
      'body:/lineItems/0/productId',
      'body:/managerId',
      'body:/supersedesId',
      'body:/vendorId',
    ]);
    const withOwnVendor = await stranger.client.post('/api/v1/contracts', contractBody(ownVendor, productId));
    expect(paths(withOwnVendor)).toEqual(['body:/lineItems/0/productId']);
  });

  it('hides a restricted contract from a member outside its groups: 404, unlisted, not in vendor totals', async () => {
    for (const route of routes(restricted.id, restrictedOffer.id)) {
      const response = await call(outsider.client, route);
      expect(response.statusCode, `${route[0]} ${route[1]}`).toBe(404);
    }
    const listed = await listedIds(outsider.client);
    expect(listed).toContain(open.id);
    expect(listed).not.toContain(restricted.id);
    expect(listed).not.toContain(restrictedOffer.id);
    expect(await listedIds(outsider.client, '&q=secret')).toEqual([]);
    const totals = async (client: Client) => (await client.get(`/api/v1/vendors/${vendorId}/contract-totals`)).json();
    expect((await totals(outsider.client)).contracts).toBe(1);
    expect((await totals(insider.client)).contracts).toBe(2);
    const renewal = await outsider.client.post('/api/v1/contracts', contractBody(vendorId, productId, { supersedesId: restricted.id }));
    expect(paths(renewal)).toEqual(['body:/supersedesId']);
    // The contract is untouched.
    const seen = await insider.client.get(`/api/v1/contracts/${restricted.id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ title: 'Secret merger licences', groupIds: [groupId] });
  });

  it('does not reveal a restricted contract to a master outside its groups', async () => {
    expect((await otherMaster.client.get(`/api/v1/contracts/${restricted.id}`)).statusCode).toBe(404);
    expect(await listedIds(otherMaster.client)).not.toContain(restricted.id);
  });

  it('lets a group member accept a restricted proposal; the contract stays restricted', async () => {
    const offer = await createContract(
      insider.client,
      contractBody(vendorId, productId, { title: 'Board offer', kind: 'proposal', groupIds: [groupId] }),
    );
    const accepted = await insider.client.post(`/api/v1/contracts/${offer.id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json().groupIds).toEqual([groupId]);
    expect((await outsider.client.get(`/api/v1/contracts/${accepted.json().id}`)).statusCode).toBe(404);
    expect((await owner.client.get(`/api/v1/contracts/${accepted.json().id}`)).statusCode).toBe(200);
  });

  describe('nobody locks themself or the manager out', () => {
    it('refuses groups the caller is not in', async () => {
      const elsewhere = await addGroup(t, owner.tenantId, 'Elsewhere', [insider.userId]);
      const created = await owner.client.post(
        '/api/v1/contracts',
        contractBody(vendorId, productId, { groupIds: [elsewhere], managerId: insider.userId }),
      );
      expect(created.statusCode).toBe(400);
      expect(paths(created)).toEqual(['body:/groupIds']);
      expect(created.json().errors[0].message).toMatch(/you .* would lose access/);

      const patched = await owner.client.request({
        method: 'PATCH',
        url: `/api/v1/contracts/${open.id}`,
        payload: { groupIds: [elsewhere] },
      });
      expect(patched.statusCode).toBe(400);
      expect(paths(patched)).toEqual(['body:/groupIds']);
      expect((await outsider.client.get(`/api/v1/contracts/${open.id}`)).statusCode).toBe(200);
    });

    it('refuses a manager outside the groups, when restricting and when handing over', async () => {
      const created = await owner.client.post(
        '/api/v1/contracts',
        contractBody(vendorId, productId, { groupIds: [groupId], managerId: outsider.userId }),
      );
      expect(created.statusCode).toBe(400);
      expect(paths(created)).toEqual(['body:/groupIds']);
      expect(created.json().errors[0].message).toMatch(/manager .* would lose access/);

      const handover = await owner.client.request({
        method: 'PATCH',
        url: `/api/v1/contracts/${restricted.id}`,
        payload: { managerId: outsider.userId },
      });
      expect(handover.statusCode).toBe(400);
      expect(paths(handover)).toEqual(['body:/managerId']);
      expect((await owner.client.get(`/api/v1/contracts/${restricted.id}`)).json().managerId).toBe(insider.userId);
    });

    it('lets a member create a contract restricted to a group they are in; only a master lifts it (issue 9, finding 2)', async () => {
      const contract = await createContract(
        insider.client,
        contractBody(vendorId, productId, { title: 'Briefly secret', groupIds: [groupId] }),
      );
      expect((await outsider.client.get(`/api/v1/contracts/${contract.id}`)).statusCode).toBe(404);
      const byMember = await insider.client.request({
        method: 'PATCH',
        url: `/api/v1/contracts/${contract.id}`,
        payload: { groupIds: [] },
      });
      expect(byMember.statusCode).toBe(403);
      const lifted = await owner.client.request({ method: 'PATCH', url: `/api/v1/contracts/${contract.id}`, payload: { groupIds: [] } });
      expect(lifted.json().groupIds).toEqual([]);
      expect((await outsider.client.get(`/api/v1/contracts/${contract.id}`)).statusCode).toBe(200);
    });
  });
});
