import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { archiveContract } from '../holdings/vault-fixtures.js';
import { addGroup, addUser, contractBody, createContract, createProduct, createVendor, type Member } from './helpers.js';

interface Summary {
  id: string;
  currency: string;
  totals: { net: string };
}

/** Exact decimal addition of 4-place strings. */
function addDecimals(values: string[]): string {
  const scaled = values.reduce((sum, value) => {
    const [whole, fraction = ''] = value.split('.');
    return sum + BigInt(whole!) * 10_000n + BigInt(fraction.padEnd(4, '0'));
  }, 0n);
  return `${scaled / 10_000n}.${String(scaled % 10_000n).padStart(4, '0')}`;
}

/**
 * GET /api/v1/contract-totals sums exactly what GET /api/v1/contracts lists with the same filters — over
 * every page — per currency, for whoever asks: row-level security decides for both.
 */
describe(`GET /api/v1/contract-totals (${engineName})`, () => {
  let t: TestApp;
  let owner: Registered;
  let stranger: Registered;
  let insider: Member;
  let outsider: Member;
  let sap: string;
  let oracle: string;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerCompany(t, { companyName: 'Totals AG' });
    stranger = await registerCompany(t, { companyName: 'Other Totals GmbH' });
    insider = await addUser(t, owner);
    outsider = await addUser(t, owner);
    const board = await addGroup(t, owner.tenantId, 'Board', [owner.userId, insider.userId]);
    sap = await createVendor(owner.client, 'SAP');
    oracle = await createVendor(owner.client, 'Oracle');
    const erp = await createProduct(owner.client, sap, 'S/4HANA Professional');
    const db = await createProduct(owner.client, oracle, 'Database Enterprise');
    const item = (productId: string, quantity: number, listUnitPrice: string, discountPercent?: string) => ({
      productId,
      quantity,
      listUnitPrice,
      ...(discountPercent ? { discountPercent } : {}),
    });
    const make = (vendorId: string, productId: string, overrides: Record<string, unknown>) =>
      createContract(owner.client, contractBody(vendorId, productId, overrides));

    await make(sap, erp, { title: 'ERP licences', lineItems: [item(erp, 10, '100.00', '10'), item(erp, 3, '0.3333')] });
    await make(sap, erp, { title: 'ERP maintenance', currency: 'CHF', lineItems: [item(erp, 7, '1234.5678')] });
    await make(sap, erp, { title: 'ERP offer', kind: 'proposal', lineItems: [item(erp, 2, '999.9999', '12.5')] });
    await make(sap, erp, { title: 'ERP old', status: 'expired', lineItems: [item(erp, 1, '50')] });
    await make(sap, erp, { title: 'Empty contract', lineItems: [] });
    await make(oracle, db, { title: 'Database licences', lineItems: [item(db, 4, '47500.00', '55')] });
    await make(oracle, db, { title: 'Board database', groupIds: [board], lineItems: [item(db, 1, '1000000')] });
    await make(oracle, db, { title: 'Board offer', kind: 'proposal', currency: 'CHF', groupIds: [board], lineItems: [item(db, 1, '3')] });
    const gone = await make(oracle, db, { title: 'Archived licences', lineItems: [item(db, 9, '9')] });
    await archiveContract(owner.client, gone.id);

    const foreignVendor = await createVendor(stranger.client, 'SAP');
    const foreignProduct = await createProduct(stranger.client, foreignVendor, 'S/4HANA Professional');
    await createContract(
      stranger.client,
      contractBody(foreignVendor, foreignProduct, { title: 'ERP licences', lineItems: [item(foreignProduct, 1, '1')] }),
    );
  });
  afterAll(() => t.close());

  const totals = async (client: Client, query: string) => {
    const response = await client.get(`/api/v1/contract-totals${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items as Array<{ currency: string; total: string; count: number }>;
  };

  /** The list walked page by page (2 at a time, so the cursor is exercised), summed per currency here. */
  const fromList = async (client: Client, query: string) => {
    const contracts: Summary[] = [];
    let cursor: string | null = null;
    do {
      const separator = query ? '&' : '?';
      const response = await client.get(`/api/v1/contracts${query}${separator}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      contracts.push(...response.json().items);
      cursor = response.json().nextCursor;
    } while (cursor);
    const byCurrency = new Map<string, string[]>();
    for (const contract of contracts)
      byCurrency.set(contract.currency, [...(byCurrency.get(contract.currency) ?? []), contract.totals.net]);
    return [...byCurrency.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, nets]) => ({ currency, total: addDecimals(nets), count: nets.length }));
  };

  it('sums the net totals of the listed contracts per currency, never across currencies', async () => {
    // EUR: 900.9999 (10 × 90 + 3 × 0.3333) + 1749.9998 (2 × 874.9999, the discounted price rounded to 4
    // places) + 50 + 0 + 85500 (4 × 21375) + 1000000; CHF: 8641.9746 (7 × 1234.5678) + 3. Archived: none.
    expect(await totals(owner.client, '')).toEqual([
      { currency: 'CHF', total: '8644.9746', count: 2 },
      { currency: 'EUR', total: '1088200.9997', count: 6 },
    ]);
    expect(await totals(owner.client, '?kind=contract&status=active&vendorId=' + sap)).toEqual([
      { currency: 'CHF', total: '8641.9746', count: 1 },
      { currency: 'EUR', total: '900.9999', count: 2 },
    ]);
  });

  it('covers exactly the contracts the list shows with the same filters, for every caller', async () => {
    const queries = [
      '',
      `?vendorId=${sap}`,
      `?vendorId=${oracle}`,
      '?kind=proposal',
      '?kind=contract&status=active',
      '?status=expired',
      '?q=erp',
      '?q=Database%20Enterprise',
      `?q=board&vendorId=${oracle}`,
      '?q=nothing-like-this',
    ];
    for (const client of [owner.client, insider.client, outsider.client, stranger.client]) {
      for (const query of queries) expect(await totals(client, query), query).toEqual(await fromList(client, query));
    }
  });

  it('leaves out what a member outside the group cannot see, and another company sees none of it', async () => {
    expect(await totals(outsider.client, `?vendorId=${oracle}`)).toEqual([{ currency: 'EUR', total: '85500.0000', count: 1 }]);
    expect(await totals(insider.client, `?vendorId=${oracle}`)).toEqual([
      { currency: 'CHF', total: '3.0000', count: 1 },
      { currency: 'EUR', total: '1085500.0000', count: 2 },
    ]);
    expect(await totals(stranger.client, `?vendorId=${sap}`)).toEqual([]);
    expect(await totals(stranger.client, '')).toEqual([{ currency: 'EUR', total: '1.0000', count: 1 }]);
  });

  it('takes the list filters and nothing else', async () => {
    for (const query of [
      '?limit=10',
      '?cursor=abc',
      '?kind=lease',
      '?status=open',
      '?vendorId=nope',
      '?q=' + 'x'.repeat(201),
      '?extra=1',
    ]) {
      const response = await owner.client.get(`/api/v1/contract-totals${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
    expect((await new Client(t).get('/api/v1/contract-totals')).statusCode).toBe(401);
  });
});
