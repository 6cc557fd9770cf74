import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { addGroup, addUser, contractBody, createContract, createProduct, createVendor, patch, paths } from './helpers.js';

describe(`proposals (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let vendorId: string;
  let productId: string;

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    vendorId = await createVendor(master.client, 'Autodesk');
    productId = await createProduct(master.client, vendorId, 'AutoCAD', 5);
  });
  afterAll(() => t.close());

  const proposal = (overrides: Record<string, unknown> = {}) =>
    contractBody(vendorId, productId, { kind: 'proposal', title: 'CAD offer', ...overrides });
  const get = async (id: string) => (await master.client.get(`/api/v1/contracts/${id}`)).json();
  const accept = (id: string) => master.client.post(`/api/v1/contracts/${id}/accept`);
  const count = async () => Number((await t.db.asOwner<{ n: number }>('SELECT count(*)::int AS n FROM contracts'))[0]!.n);

  it('starts pending; a new version supersedes the pending one in the same transaction', async () => {
    const v1 = await createContract(master.client, proposal());
    expect(v1).toMatchObject({ kind: 'proposal', status: 'pending' });
    const v2 = await createContract(
      master.client,
      proposal({ supersedesId: v1.id, lineItems: [{ productId, quantity: 10, listUnitPrice: '95' }] }),
    );
    expect(v2).toMatchObject({ status: 'pending', supersedesId: v1.id });
    expect((await get(v1.id)).status).toBe('superseded');

    // A superseded version does not get another successor; nothing is written.
    const before = await count();
    const fork = await master.client.post('/api/v1/contracts', proposal({ supersedesId: v1.id }));
    expect(fork.statusCode).toBe(409);
    expect(fork.json()).toMatchObject({ code: 'invalid_transition', title: 'This status change is not possible' });
    expect(await count()).toBe(before);
  });

  it('leaves the old version pending when the new one is refused', async () => {
    const v1 = await createContract(master.client, proposal());
    const bad = await master.client.post('/api/v1/contracts', proposal({ supersedesId: v1.id, endsOn: '2020-01-01' }));
    expect(bad.statusCode).toBe(400);
    expect((await get(v1.id)).status).toBe('pending');
  });

  it('accepts a pending proposal into a new active contract with its fields, line items and groups', async () => {
    const group = await addGroup(t, master.tenantId, 'CAD team', [master.userId]);
    const offer = await createContract(
      master.client,
      proposal({
        reference: 'Q-2025-17',
        signedOn: '2024-12-20',
        noticePeriodDays: 60,
        autoRenew: true,
        renewalTermMonths: 12,
        terms: 'Price hold 2 years',
        groupIds: [group],
        lineItems: [
          { productId, quantity: 25, listUnitPrice: '2100', discountPercent: '12.5', maintenancePercent: '20', terms: 'named users' },
          { productId, quantity: 3, blockSize: 1, listUnitPrice: '0.1', netUnitPrice: '0.0999' },
        ],
      }),
    );
    const accepted = await accept(offer.id);
    expect(accepted.statusCode, accepted.body).toBe(201);
    const contract = accepted.json();
    expect(contract.id).not.toBe(offer.id);
    const {
      id: _offerId,
      kind: _kind,
      status: _status,
      supersedesId: _supersedes,
      lineItems: offerItems,
      createdAt: _c,
      updatedAt: _u,
      ...copied
    } = offer;
    expect(contract).toMatchObject({ ...copied, kind: 'contract', status: 'active', supersedesId: offer.id, groupIds: [group] });
    const strip = (items: Array<Record<string, unknown>>) => items.map(({ id: _id, ...rest }) => rest);
    expect(strip(contract.lineItems)).toEqual(strip(offerItems));
    expect(contract.totals).toEqual(offer.totals);
    expect((await get(offer.id)).status).toBe('accepted');

    const again = await accept(offer.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_transition');
    const ofContract = await accept(contract.id);
    expect(ofContract.statusCode).toBe(409);
    expect(ofContract.json().code).toBe('invalid_transition');
    expect((await accept('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('accepts all or nothing: a failure while copying leaves the proposal pending and no contract behind', async () => {
    const doomed = await createProduct(master.client, vendorId, 'Doomed product');
    const offer = await createContract(
      master.client,
      proposal({
        lineItems: [
          { productId, quantity: 1, listUnitPrice: '1' },
          { productId: doomed, quantity: 1, listUnitPrice: '1' },
        ],
      }),
    );
    const before = await count();
    // The second line item's copy fails inside the accept transaction, after the status moved and the contract was inserted.
    await t.db.asOwner(`CREATE FUNCTION test_fail_copy() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.product_id = '${doomed}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await t.db.asOwner('CREATE TRIGGER test_fail_copy BEFORE INSERT ON line_items FOR EACH ROW EXECUTE FUNCTION test_fail_copy()');
    try {
      const failed = await accept(offer.id);
      expect(failed.statusCode).toBe(500);
      expect(failed.json().code).toBe('internal_error');
    } finally {
      await t.db.asOwner('DROP TRIGGER test_fail_copy ON line_items');
      await t.db.asOwner('DROP FUNCTION test_fail_copy()');
    }
    expect((await get(offer.id)).status).toBe('pending');
    expect(await count()).toBe(before);
    expect(await t.db.asOwner('SELECT id FROM contracts WHERE supersedes_id = $1', [offer.id])).toEqual([]);
    expect((await accept(offer.id)).statusCode).toBe(201);
  });

  it('rejects by PATCH and refuses every other move outside the lifecycle with 409', async () => {
    const offer = await createContract(master.client, proposal());
    const url = `/api/v1/contracts/${offer.id}`;
    for (const status of ['accepted', 'superseded'] as const) {
      const response = await patch(master.client, url, { status });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('invalid_transition');
    }
    const wrongKind = await patch(master.client, url, { status: 'active' });
    expect(wrongKind.statusCode).toBe(400);
    expect(paths(wrongKind)).toEqual(['body:/status']);
    const rejected = await patch(master.client, url, { status: 'rejected' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json().status).toBe('rejected');
    const reopened = await patch(master.client, url, { status: 'pending' });
    expect(reopened.statusCode).toBe(409);
    expect((await accept(offer.id)).statusCode).toBe(409);
    expect((await master.client.post('/api/v1/contracts', proposal({ supersedesId: offer.id }))).statusCode).toBe(409);
    // The same status again is no move at all.
    expect((await patch(master.client, url, { status: 'rejected', title: 'Rejected offer' })).statusCode).toBe(200);
  });

  it("keeps a decided proposal's offer as it was, and lets its name, manager and groups change", async () => {
    const rejected = await createContract(master.client, proposal({ title: 'Turned down' }));
    expect((await patch(master.client, `/api/v1/contracts/${rejected.id}`, { status: 'rejected' })).statusCode).toBe(200);
    const superseded = await createContract(master.client, proposal({ title: 'First offer' }));
    await createContract(master.client, proposal({ title: 'Second offer', supersedesId: superseded.id }));
    const accepted = await createContract(master.client, proposal({ title: 'Taken' }));
    expect((await accept(accepted.id)).statusCode).toBe(201);
    const group = await addGroup(t, master.tenantId, 'Procurement', [master.userId]);

    for (const decided of [rejected, superseded, accepted]) {
      const before = await get(decided.id);
      const refused = await patch(master.client, `/api/v1/contracts/${decided.id}`, {
        title: 'Renamed',
        lineItems: [{ productId, quantity: 1, listUnitPrice: '1' }],
        endsOn: '2040-12-31',
      });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'proposal_decided', fields: ['lineItems', 'endsOn'] });
      expect(await get(decided.id)).toEqual(before);

      const renamed = await patch(master.client, `/api/v1/contracts/${decided.id}`, {
        title: 'Renamed',
        reference: 'ARCHIVE-1',
        groupIds: [group],
      });
      expect(renamed.statusCode, renamed.body).toBe(200);
      const { title: _t, reference: _r, groupIds: _g, updatedAt: _u, ...offer } = before;
      expect(renamed.json()).toMatchObject({ ...offer, title: 'Renamed', reference: 'ARCHIVE-1', groupIds: [group] });
    }

    const pending = await createContract(master.client, proposal({ title: 'Still open' }));
    const changed = await patch(master.client, `/api/v1/contracts/${pending.id}`, {
      lineItems: [{ productId, quantity: 3, listUnitPrice: '10' }],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().totals.net).toBe('30.0000');
  });

  it('lets a proposal offer the renewal of a contract, and keeps contracts from superseding proposals', async () => {
    const current = await createContract(master.client, contractBody(vendorId, productId, { title: 'CAD 2025' }));
    const offer = await createContract(
      master.client,
      proposal({ title: 'CAD 2026 offer', supersedesId: current.id, startsOn: '2026-01-01', endsOn: '2026-12-31' }),
    );
    expect((await get(current.id)).status).toBe('active');
    const renewal = (await accept(offer.id)).json();
    expect(renewal.supersedesId).toBe(offer.id);
    const direct = await master.client.post('/api/v1/contracts', contractBody(vendorId, productId, { supersedesId: offer.id }));
    expect(direct.statusCode).toBe(400);
    expect(paths(direct)).toEqual(['body:/supersedesId']);
  });

  it('hands the new contract to the accepting user when the proposal manager has left', async () => {
    const member = await addUser(t, master);
    const offer = await createContract(master.client, proposal({ managerId: member.userId }));
    await t.db.asOwner("UPDATE users SET status = 'revoked', revoked_at = now() WHERE id = $1", [member.userId]);
    const contract = (await accept(offer.id)).json();
    expect(contract.managerId).toBe(master.userId);

    const stays = await createContract(master.client, proposal({ managerId: (await addUser(t, master)).userId }));
    expect((await accept(stays.id)).json().managerId).toBe(stays.managerId);
  });
});
