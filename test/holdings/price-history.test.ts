import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { archiveContract, createContract, createProduct, createVendor } from './vault-fixtures.js';

describe(`price history: GET /api/v1/products/{id}/price-history (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let outsider: Member;
  let vendorId: string;
  let productId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    outsider = await addMember(t, master);
    const board = await createGroup(t, master.tenantId, 'Board', [master.userId]);
    vendorId = await createVendor(master.client, 'Microsoft');
    productId = await createProduct(master.client, vendorId, 'Microsoft 365 E3');
    const other = await createProduct(master.client, vendorId, 'Visio');
    const item = (quantity: number, netUnitPrice: string) => [{ productId, quantity, listUnitPrice: '40.00', netUnitPrice }];

    ids.y2023 = await createContract(master.client, {
      vendorId,
      title: 'EA 2023',
      status: 'expired',
      signedOn: '2022-12-15',
      startsOn: '2023-01-01',
      endsOn: '2023-12-31',
      lineItems: item(200, '32.50'),
    });
    // Without a signing date the start date places it in time.
    ids.y2024 = await createContract(master.client, {
      vendorId,
      title: 'EA 2024',
      startsOn: '2024-01-01',
      currency: 'CHF',
      lineItems: [...item(250, '31.1234'), { productId: other, quantity: 5, netUnitPrice: '9.00' }],
    });
    ids.offer = await createContract(master.client, {
      vendorId,
      title: 'EA 2025 offer',
      kind: 'proposal',
      startsOn: '2025-01-01',
      lineItems: item(300, '29.00'),
    });
    ids.secret = await createContract(master.client, {
      vendorId,
      title: 'Board devices',
      groupIds: [board],
      signedOn: '2024-06-01',
      startsOn: '2024-07-01',
      lineItems: item(5, '20.00'),
    });
    const archived = await createContract(master.client, {
      vendorId,
      title: 'Entered by mistake',
      startsOn: '2024-03-01',
      lineItems: item(1, '1.00'),
    });
    await archiveContract(master.client, archived);
  });
  afterAll(() => t.close());

  it('lists the net unit price per transaction over time, proposals flagged, money as decimal strings', async () => {
    const response = await master.client.get(`/api/v1/products/${productId}/price-history`);
    expect(response.statusCode, response.body).toBe(200);
    const common = { lineItemId: expect.any(String), listUnitPrice: '40.0000' };
    expect(response.json().nextCursor).toBeNull();
    expect(response.json().items).toEqual([
      {
        ...common,
        contractId: ids.y2023,
        title: 'EA 2023',
        kind: 'contract',
        status: 'expired',
        date: '2022-12-15',
        quantity: 200,
        netUnitPrice: '32.5000',
        currency: 'EUR',
      },
      {
        ...common,
        contractId: ids.y2024,
        title: 'EA 2024',
        kind: 'contract',
        status: 'active',
        date: '2024-01-01',
        quantity: 250,
        netUnitPrice: '31.1234',
        currency: 'CHF',
      },
      {
        ...common,
        contractId: ids.secret,
        title: 'Board devices',
        kind: 'contract',
        status: 'active',
        date: '2024-06-01',
        quantity: 5,
        netUnitPrice: '20.0000',
        currency: 'EUR',
      },
      {
        ...common,
        contractId: ids.offer,
        title: 'EA 2025 offer',
        kind: 'proposal',
        status: 'pending',
        date: '2025-01-01',
        quantity: 300,
        netUnitPrice: '29.0000',
        currency: 'EUR',
      },
    ]);
  });

  it('orders transactions of the same date by contract id', async () => {
    const sameDay = await Promise.all(
      ['A', 'B', 'C'].map((suffix) =>
        createContract(master.client, {
          vendorId,
          title: `Same day ${suffix}`,
          startsOn: '2021-05-05',
          lineItems: [{ productId, quantity: 1, netUnitPrice: '1.00' }],
        }),
      ),
    );
    const rows: Array<{ contractId: string; date: string }> = (
      await master.client.get(`/api/v1/products/${productId}/price-history`)
    ).json().items;
    expect(rows.filter((row) => row.date === '2021-05-05').map((row) => row.contractId)).toEqual([...sameDay].sort());
  });

  it('pages with limit and cursor: every row once, in order, also within one contract and one date', async () => {
    // Three line items of the product on one contract: the cursor must tell them apart by position.
    await createContract(master.client, {
      vendorId,
      title: 'Three lines',
      startsOn: '2021-05-05',
      lineItems: [1, 2, 3].map((quantity) => ({ productId, quantity, netUnitPrice: '2.00' })),
    });
    const all: Array<{ lineItemId: string }> = (await master.client.get(`/api/v1/products/${productId}/price-history?limit=500`)).json()
      .items;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await master.client.get(`/api/v1/products/${productId}/price-history?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      const body: { items: Array<{ lineItemId: string }>; nextCursor: string | null } = response.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((row) => row.lineItemId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((row) => row.lineItemId));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(6);
  });

  it('refuses a limit above 500 and a cursor it did not make', async () => {
    expect((await master.client.get(`/api/v1/products/${productId}/price-history?limit=501`)).json().code).toBe('validation_failed');
    const bogus = Buffer.from(JSON.stringify(['not a date', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expect((await master.client.get(`/api/v1/products/${productId}/price-history?cursor=${bogus}`)).json().code).toBe('validation_failed');
  });

  it('leaves out rows of a restricted contract for a member outside its groups', async () => {
    const response = await outsider.client.get(`/api/v1/products/${productId}/price-history`);
    expect(response.statusCode).toBe(200);
    const contractIds = response.json().items.map((row: { contractId: string }) => row.contractId);
    expect(contractIds).toEqual(expect.arrayContaining([ids.y2023, ids.y2024, ids.offer]));
    expect(contractIds).not.toContain(ids.secret);
    expect(response.body).not.toContain('Board devices');
  });

  it('answers 404 for a product of another tenant and for one that does not exist', async () => {
    const other = await registerCompany(t);
    const foreign = await other.client.get(`/api/v1/products/${productId}/price-history`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('not_found');
    const missing = await master.client.get('/api/v1/products/00000000-0000-4000-8000-000000000000/price-history');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe(foreign.body);
  });

  it('refuses an anonymous caller', async () => {
    expect((await new Client(t).get(`/api/v1/products/${productId}/price-history`)).statusCode).toBe(401);
  });
});
