import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { addUser, contractBody, createContract, createProduct, createVendor, patch, paths, remove } from './helpers.js';

describe(`contracts (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let vendorId: string;
  let productId: string;

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    vendorId = await createVendor(master.client, 'Oracle');
    productId = await createProduct(master.client, vendorId, 'Database Enterprise Edition', 2);
  });
  afterAll(() => t.close());

  it('creates a contract with defaults and reads it back', async () => {
    const created = await createContract(
      master.client,
      contractBody(vendorId, productId, { reference: 'ORA-2025-01', noticePeriodDays: 90, terms: 'Net 30' }),
    );
    expect(created).toMatchObject({
      vendorId,
      kind: 'contract',
      reference: 'ORA-2025-01',
      title: 'Database licences 2025',
      status: 'active',
      signedOn: null,
      startsOn: '2025-01-01',
      endsOn: '2025-12-31',
      noticePeriodDays: 90,
      autoRenew: false,
      renewalTermMonths: null,
      currency: 'EUR',
      managerId: master.userId,
      groupIds: [],
      terms: 'Net 30',
      supersedesId: null,
    });
    expect(created.lineItems).toEqual([
      {
        id: expect.any(String),
        productId,
        quantity: 10,
        blockSize: 2, // from the product
        listUnitPrice: '100.0000',
        discountPercent: '10.0000',
        netUnitPrice: '90.0000', // derived from the discount
        maintenancePercent: null,
        terms: null,
      },
    ]);
    expect(created.totals).toEqual({
      currency: 'EUR',
      list: '1000.0000',
      net: '900.0000',
      discount: '100.0000',
      annualMaintenance: '0.0000',
      lineItems: 1,
    });

    const read = await master.client.get(`/api/v1/contracts/${created.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);
  });

  it('creates a contract without line items and with every optional field null', async () => {
    const created = await createContract(master.client, {
      vendorId,
      title: 'Bare',
      startsOn: '2024-02-29',
      currency: 'CHF',
      reference: null,
      signedOn: null,
      endsOn: null,
      noticePeriodDays: null,
      renewalTermMonths: null,
      terms: null,
      supersedesId: null,
      groupIds: [],
      lineItems: [],
    });
    expect(created.totals).toEqual({
      currency: 'CHF',
      list: '0.0000',
      net: '0.0000',
      discount: '0.0000',
      annualMaintenance: '0.0000',
      lineItems: 0,
    });
    expect(created.lineItems).toEqual([]);
  });

  it('patches fields and replaces the whole set of line items in order', async () => {
    const created = await createContract(master.client, contractBody(vendorId, productId));
    const second = await createProduct(master.client, vendorId, 'Partitioning Option');
    const patched = await patch(master.client, `/api/v1/contracts/${created.id}`, {
      title: 'Database licences 2025 (amended)',
      signedOn: '2024-12-15',
      autoRenew: true,
      renewalTermMonths: 12,
      lineItems: [
        { productId: second, quantity: 4, listUnitPrice: '50', netUnitPrice: '45.5', maintenancePercent: '22', terms: 'cores' },
        { productId, quantity: 1, blockSize: 5, listUnitPrice: '10' },
      ],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const body = patched.json();
    expect(body).toMatchObject({
      title: 'Database licences 2025 (amended)',
      signedOn: '2024-12-15',
      autoRenew: true,
      renewalTermMonths: 12,
      endsOn: '2025-12-31',
    });
    expect(
      body.lineItems.map((item: { productId: string; blockSize: number; netUnitPrice: string }) => [
        item.productId,
        item.blockSize,
        item.netUnitPrice,
      ]),
    ).toEqual([
      [second, 1, '45.5000'],
      [productId, 5, '10.0000'],
    ]);
    expect(body.lineItems.some((item: { id: string }) => item.id === created.lineItems[0].id)).toBe(false);
    expect(body.totals).toMatchObject({
      list: '210.0000',
      net: '192.0000',
      discount: '18.0000',
      annualMaintenance: '40.0400',
      lineItems: 2,
    });
    expect(Date.parse(body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

    const rows = await t.db.asOwner<{ position: number }>('SELECT position FROM line_items WHERE contract_id = $1 ORDER BY position', [
      created.id,
    ]);
    expect(rows.map((row) => row.position)).toEqual([0, 1]);

    const cleared = await patch(master.client, `/api/v1/contracts/${created.id}`, { lineItems: [], terms: null });
    expect(cleared.json().lineItems).toEqual([]);
    expect(cleared.json().totals.lineItems).toBe(0);
  });

  it('archives a contract: 204, then 404 everywhere and absent from lists', async () => {
    const created = await createContract(master.client, contractBody(vendorId, productId, { title: 'To be archived' }));
    const archived = await remove(master.client, `/api/v1/contracts/${created.id}`);
    expect(archived.statusCode).toBe(204);
    expect(archived.body).toBe('');
    const [row] = await t.db.asOwner<{ archived: boolean }>('SELECT archived_at IS NOT NULL AS archived FROM contracts WHERE id = $1', [
      created.id,
    ]);
    expect(row!.archived).toBe(true);
    expect((await master.client.get(`/api/v1/contracts/${created.id}`)).statusCode).toBe(404);
    expect((await patch(master.client, `/api/v1/contracts/${created.id}`, { title: 'x' })).statusCode).toBe(404);
    expect((await remove(master.client, `/api/v1/contracts/${created.id}`)).statusCode).toBe(404);
    const list = await master.client.get('/api/v1/contracts?q=archived&limit=500');
    expect(list.json().items).toEqual([]);
    // Archived is not a predecessor either.
    const renewal = await master.client.post('/api/v1/contracts', contractBody(vendorId, productId, { supersedesId: created.id }));
    expect(renewal.statusCode).toBe(400);
    expect(paths(renewal)).toEqual(['body:/supersedesId']);
  });

  it('lets a contract renew an older one of the same vendor', async () => {
    const old = await createContract(master.client, contractBody(vendorId, productId, { title: 'Term 1' }));
    const renewal = await createContract(
      master.client,
      contractBody(vendorId, productId, { title: 'Term 2', startsOn: '2026-01-01', endsOn: '2026-12-31', supersedesId: old.id }),
    );
    expect(renewal.supersedesId).toBe(old.id);
    expect((await master.client.get(`/api/v1/contracts/${old.id}`)).json().status).toBe('active');

    const otherVendor = await createVendor(master.client, 'Microsoft');
    const crossVendor = await master.client.post('/api/v1/contracts', {
      ...contractBody(otherVendor, productId),
      lineItems: [],
      supersedesId: old.id,
    });
    expect(paths(crossVendor)).toEqual(['body:/supersedesId']);
    // The chain is fixed at creation, so it can never loop.
    const reroute = await patch(master.client, `/api/v1/contracts/${old.id}`, { supersedesId: renewal.id });
    expect(reroute.statusCode).toBe(400);
    expect(paths(reroute)).toEqual(['body:/supersedesId']);
  });

  it('moves contract statuses along the lifecycle and refuses the rest with 409', async () => {
    const created = await createContract(master.client, contractBody(vendorId, productId));
    const url = `/api/v1/contracts/${created.id}`;
    expect((await patch(master.client, url, { status: 'expired' })).json().status).toBe('expired');
    expect((await patch(master.client, url, { status: 'active' })).json().status).toBe('active');
    expect((await patch(master.client, url, { status: 'terminated' })).json().status).toBe('terminated');
    const back = await patch(master.client, url, { status: 'active' });
    expect(back.statusCode).toBe(409);
    expect(back.json().code).toBe('invalid_transition');
    const wrongKind = await patch(master.client, url, { status: 'pending' });
    expect(wrongKind.statusCode).toBe(400);
    expect(paths(wrongKind)).toEqual(['body:/status']);
    expect((await master.client.get(url)).json().status).toBe('terminated');
  });

  describe('validation', () => {
    const expectPaths = async (body: unknown, expected: string[], url = '/api/v1/contracts', method: 'POST' | 'PATCH' = 'POST') => {
      const response = await master.client.request({ method, url, payload: body as object });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().code).toBe('validation_failed');
      expect(paths(response).sort()).toEqual([...expected].sort());
    };

    it('names unknown ids, bad dates and auto-renewal gaps by path', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      await expectPaths(contractBody(unknown, productId), ['body:/vendorId', 'body:/lineItems/0/productId']);
      await expectPaths(contractBody(vendorId, unknown, { managerId: unknown, groupIds: [unknown], supersedesId: unknown }), [
        'body:/lineItems/0/productId',
        'body:/managerId',
        'body:/groupIds/0',
        'body:/supersedesId',
      ]);
      await expectPaths(contractBody(vendorId, productId, { startsOn: '2025-06-01', endsOn: '2025-05-31' }), ['body:/endsOn']);
      await expectPaths(contractBody(vendorId, productId, { endsOn: null, autoRenew: true }), ['body:/endsOn', 'body:/renewalTermMonths']);
      await expectPaths(contractBody(vendorId, productId, { status: 'pending' }), ['body:/status']);
      await expectPaths(contractBody(vendorId, productId, { kind: 'proposal', status: 'active' }), ['body:/status']);
      await expectPaths(contractBody(vendorId, productId, { kind: 'proposal', status: 'accepted' }), ['body:/status']);
    });

    it('refuses malformed fields, unknown fields and oversized input with paths', async () => {
      await expectPaths(contractBody(vendorId, productId, { currency: 'eur' }), ['body:/currency']);
      await expectPaths(contractBody(vendorId, productId, { startsOn: '2025-02-30' }), ['body:/startsOn']);
      await expectPaths(contractBody(vendorId, productId, { kind: 'lease' }), ['body:/kind']);
      await expectPaths(contractBody(vendorId, productId, { title: ' ' }), ['body:/title']);
      await expectPaths(contractBody(vendorId, productId, { title: 'x'.repeat(301) }), ['body:/title']);
      await expectPaths(contractBody(vendorId, productId, { noticePeriodDays: 3651 }), ['body:/noticePeriodDays']);
      await expectPaths(contractBody(vendorId, productId, { renewalTermMonths: 0 }), ['body:/renewalTermMonths']);
      await expectPaths(contractBody(vendorId, productId, { tenantId: master.tenantId }), ['body:/tenantId']);
      await expectPaths(contractBody(vendorId, productId, { lineItems: [{ productId, quantity: -1, listUnitPrice: '1' }] }), [
        'body:/lineItems/0/quantity',
      ]);
      await expectPaths(
        contractBody(vendorId, productId, { lineItems: [{ productId, quantity: 1, listUnitPrice: '1', discountPercent: '100.01' }] }),
        ['body:/lineItems/0/discountPercent'],
      );
      await expectPaths(contractBody(vendorId, productId, { lineItems: [{ productId, quantity: 1, listUnitPrice: '1.00001' }] }), [
        'body:/lineItems/0/listUnitPrice',
      ]);
      await expectPaths(contractBody(vendorId, productId, { lineItems: [{ productId, quantity: 1, listUnitPrice: '1', extra: true }] }), [
        'body:/lineItems/0/extra',
      ]);
      const tooMany = Array.from({ length: 501 }, () => ({ productId, quantity: 1, listUnitPrice: '1' }));
      await expectPaths(contractBody(vendorId, productId, { lineItems: tooMany }), ['body:/lineItems']);
    });

    it('validates a patch against the stored contract', async () => {
      const created = await createContract(master.client, contractBody(vendorId, productId));
      const url = `/api/v1/contracts/${created.id}`;
      await expectPaths({}, ['body:/'], url, 'PATCH');
      await expectPaths({ kind: 'proposal' }, ['body:/kind'], url, 'PATCH');
      await expectPaths({ startsOn: '2026-01-01' }, ['body:/endsOn'], url, 'PATCH');
      await expectPaths({ autoRenew: true }, ['body:/renewalTermMonths'], url, 'PATCH');
      const otherVendor = await createVendor(master.client, 'SAP');
      // The line items name the old vendor's product: moving the vendor alone would leave them stranded.
      await expectPaths({ vendorId: otherVendor }, ['body:/vendorId'], url, 'PATCH');
      const moved = await patch(master.client, url, { vendorId: otherVendor, lineItems: [] });
      expect(moved.statusCode, moved.body).toBe(200);
      await expectPaths({ lineItems: [{ productId, quantity: 1, listUnitPrice: '1' }] }, ['body:/lineItems/0/productId'], url, 'PATCH');
      expect((await master.client.get(url)).json().vendorId).toBe(otherVendor);
    });

    it('requires an active user of the tenant as manager', async () => {
      const member = await addUser(t, master);
      const managed = await createContract(master.client, contractBody(vendorId, productId, { managerId: member.userId }));
      expect(managed.managerId).toBe(member.userId);
      await t.db.asOwner("UPDATE users SET status = 'revoked', revoked_at = now() WHERE id = $1", [member.userId]);
      await expectPaths(contractBody(vendorId, productId, { managerId: member.userId }), ['body:/managerId']);
      const other = await registerCompany(t, { companyName: 'Elsewhere Ltd' });
      await expectPaths(contractBody(vendorId, productId, { managerId: other.userId }), ['body:/managerId']);
      await expectPaths({ managerId: other.userId }, ['body:/managerId'], `/api/v1/contracts/${managed.id}`, 'PATCH');
    });

    it('answers 400 for a malformed id in the URL and for a forged cursor', async () => {
      expect((await master.client.get('/api/v1/contracts/not-a-uuid')).statusCode).toBe(400);
      for (const cursor of [
        'abc',
        Buffer.from(JSON.stringify(['2025-13-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
        Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000000Z', '-'.repeat(36)])).toString('base64url'),
      ]) {
        const response = await master.client.get(`/api/v1/contracts?cursor=${cursor}`);
        expect(response.statusCode, response.body).toBe(400);
        expect(paths(response)).toEqual(['querystring:/cursor']);
      }
    });
  });
});
