import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { createContract, createProduct, createVendor, paths, remove } from './helpers.js';

/**
 * Money is numeric in PostgreSQL and a decimal string on the wire with exactly four fraction digits.
 * The cases are the ones binary floating point gets wrong.
 */
describe(`contract money (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let vendorId: string;
  let productId: string;

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    vendorId = await createVendor(master.client, 'Microsoft');
    productId = await createProduct(master.client, vendorId, 'Microsoft 365 E3');
  });
  afterAll(() => t.close());

  const withItems = (lineItems: object[], overrides: object = {}) =>
    createContract(master.client, { vendorId, title: 'Money', startsOn: '2025-01-01', currency: 'EUR', lineItems, ...overrides });
  const item = (fields: object) => ({ productId, quantity: 1, listUnitPrice: '0', ...fields });

  it('adds tenths exactly (no 0.30000000000000004)', async () => {
    const three = await withItems([item({ listUnitPrice: '0.1' }), item({ listUnitPrice: '0.1' }), item({ listUnitPrice: '0.1' })]);
    expect(three.totals).toMatchObject({ list: '0.3000', net: '0.3000', discount: '0.0000', lineItems: 3 });
    const ten = await withItems(Array.from({ length: 10 }, () => item({ listUnitPrice: '0.1' })));
    expect(ten.totals.net).toBe('1.0000');
    const quantity = await withItems([item({ quantity: 3, listUnitPrice: '0.1' }), item({ quantity: 7, listUnitPrice: '1.1' })]);
    expect(quantity.totals.net).toBe('8.0000');
  });

  it('keeps 0.0001 precision and amounts beyond what a double holds', async () => {
    const tiny = await withItems([item({ quantity: 3, listUnitPrice: '0.0001' })]);
    expect(tiny.lineItems[0].listUnitPrice).toBe('0.0001');
    expect(tiny.totals.net).toBe('0.0003');
    const huge = await withItems([item({ quantity: 1_000_000_000, listUnitPrice: '999999999999999.9999' })]);
    expect(huge.totals.list).toBe('999999999999999999900000.0000');
    const mixed = await withItems([
      item({ quantity: 1_000_000_000, listUnitPrice: '0.0001' }),
      item({ listUnitPrice: '123456789012345.6789' }),
    ]);
    expect(mixed.totals.net).toBe('123456789112345.6789');
  });

  it('derives the net price from the discount, rounded half-up to four places', async () => {
    const contract = await withItems([
      item({ listUnitPrice: '10', discountPercent: '33.3333' }), // 6.666667 → 6.6667
      item({ listUnitPrice: '0.0005', discountPercent: '50' }), // 0.00025 → 0.0003
      item({ listUnitPrice: '0.0001', discountPercent: '50' }), // 0.00005 → 0.0001
      item({ listUnitPrice: '1', discountPercent: '12.3456' }), // 0.876544 → 0.8765
      item({ listUnitPrice: '19.99', discountPercent: '100' }),
      item({ listUnitPrice: '19.99', discountPercent: '0' }),
      item({ listUnitPrice: '19.99' }),
      item({ listUnitPrice: '80', discountPercent: '25', netUnitPrice: '61.1' }), // a negotiated net price is kept as given
    ]);
    expect(contract.lineItems.map((line: { netUnitPrice: string }) => line.netUnitPrice)).toEqual([
      '6.6667',
      '0.0003',
      '0.0001',
      '0.8765',
      '0.0000',
      '19.9900',
      '19.9900',
      '61.1000',
    ]);
    expect(contract.lineItems[6].discountPercent).toBeNull();
    expect(contract.totals).toMatchObject({ list: '150.9706', net: '108.6236', discount: '42.3470' });
  });

  it('computes annual maintenance from net, summing before it rounds once', async () => {
    const contract = await withItems([
      item({ quantity: 3, listUnitPrice: '33.3333', maintenancePercent: '22.5' }), // 22.4999775
      item({ listUnitPrice: '0.0001', maintenancePercent: '50' }), // 0.00005
      item({ listUnitPrice: '0.0001', maintenancePercent: '50' }), // 0.00005
      item({ listUnitPrice: '1000' }), // no maintenance
    ]);
    expect(contract.totals.annualMaintenance).toBe('22.5001');
  });

  it('rejects JSON numbers where decimal strings belong', async () => {
    for (const [field, value] of [
      ['listUnitPrice', 12.5],
      ['discountPercent', 10],
      ['netUnitPrice', 9],
      ['maintenancePercent', 20],
    ] as const) {
      const response = await master.client.post('/api/v1/contracts', {
        vendorId,
        title: 'Numbers',
        startsOn: '2025-01-01',
        currency: 'EUR',
        lineItems: [item({ listUnitPrice: '1', [field]: value })],
      });
      expect(response.statusCode, field).toBe(400);
      expect(paths(response)).toEqual([`body:/lineItems/0/${field}`]);
    }
    const quantity = await master.client.post('/api/v1/contracts', {
      vendorId,
      title: 'Numbers',
      startsOn: '2025-01-01',
      currency: 'EUR',
      lineItems: [item({ quantity: '3' })],
    });
    expect(paths(quantity)).toEqual(['body:/lineItems/0/quantity']);
    for (const bad of ['1e3', '-1', '01', '1.', '.5', '1,5', '1.00000', ' 1', '1234567890123456']) {
      const response = await master.client.post('/api/v1/contracts', {
        vendorId,
        title: 'Numbers',
        startsOn: '2025-01-01',
        currency: 'EUR',
        lineItems: [item({ listUnitPrice: bad })],
      });
      expect(response.statusCode, bad).toBe(400);
    }
  });

  it('sums a vendor per currency over active contracts only, never mixing currencies', async () => {
    const vendor = await createVendor(master.client, 'Salesforce');
    const product = await createProduct(master.client, vendor, 'Sales Cloud Enterprise');
    const line = (quantity: number, listUnitPrice: string, maintenancePercent?: string) => ({
      productId: product,
      quantity,
      listUnitPrice,
      maintenancePercent,
    });
    const contract = (currency: string, lineItems: object[], extra: object = {}) =>
      createContract(master.client, { vendorId: vendor, title: `${currency} deal`, startsOn: '2025-01-01', currency, lineItems, ...extra });

    await contract('EUR', [line(3, '0.1', '20'), line(1, '100', '18')]);
    await contract('EUR', [line(10, '0.2')]);
    await contract('EUR', []);
    await contract('USD', [line(2, '1500.5', '22')]);
    // None of these count: expired, terminated, a proposal, an archived contract.
    await contract('EUR', [line(1, '9999')], { status: 'expired' });
    await contract('EUR', [line(1, '9999')], { status: 'terminated' });
    await contract('EUR', [line(1, '9999')], { kind: 'proposal' });
    const archived = await contract('USD', [line(1, '9999')]);
    expect((await remove(master.client, `/api/v1/contracts/${archived.id}`)).statusCode).toBe(204);

    const response = await master.client.get(`/api/v1/vendors/${vendor}/contract-totals`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      vendorId: vendor,
      contracts: 4,
      totalsByCurrency: [
        { currency: 'EUR', net: '102.3000', annualMaintenance: '18.0600', contracts: 3 },
        { currency: 'USD', net: '3001.0000', annualMaintenance: '660.2200', contracts: 1 },
      ],
    });

    const empty = await createVendor(master.client, 'No Deals Yet');
    expect((await master.client.get(`/api/v1/vendors/${empty}/contract-totals`)).json()).toEqual({
      vendorId: empty,
      contracts: 0,
      totalsByCurrency: [],
    });
    expect((await master.client.get('/api/v1/vendors/00000000-0000-4000-8000-000000000000/contract-totals')).statusCode).toBe(404);
  });

  it('reports the same totals in the list as on the contract', async () => {
    const contract = await withItems([item({ quantity: 7, listUnitPrice: '0.35', discountPercent: '3', maintenancePercent: '17.5' })], {
      title: 'Listed totals',
    });
    const list = await master.client.get('/api/v1/contracts?q=listed%20totals');
    expect(list.json().items[0].totals).toEqual(contract.totals);
    expect(contract.totals).toEqual({
      currency: 'EUR',
      list: '2.4500',
      net: '2.3765',
      discount: '0.0735',
      annualMaintenance: '0.4159',
      lineItems: 1,
    });
  });
});
