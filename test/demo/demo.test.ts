import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractInput } from '../../src/contracts/schemas.js';
import { addDays, todayUtc } from '../../src/deadlines/dates.js';
import { contractDeadlines } from '../../src/deadlines/service.js';
import { createDemoCompany, DEMO_PHONE, type DemoCompany } from '../../src/demo.js';
import { contractInput } from '../../src/demo/fill-vault.js';
import { demoVendors } from '../../src/demo/vendors.js';
import { validatorCompiler } from '../../src/http/validation.js';
import { ProductInput } from '../../src/products/schemas.js';
import { MetricDefinitions, VendorInput } from '../../src/vendors/schemas.js';
import { login, startTestApp, type Client, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

interface Summary {
  id: string;
  kind: string;
  status: string;
  currency: string;
  supersedesId: string | null;
  totals: { net: string };
}

describe(`pactum demo: a living vault (${engineName})`, () => {
  let t: TestApp;
  let demo: DemoCompany;
  let client: Client;
  const today = todayUtc();

  beforeAll(async () => {
    t = await startTestApp();
    const created = await createDemoCompany(t.db.database);
    expect(created).not.toBeNull();
    demo = created!;
    client = await login(t, { email: demo.email, password: demo.password, phone: DEMO_PHONE });
  });

  afterAll(() => t?.close());

  async function list(query: string): Promise<Summary[]> {
    const response = await client.get(`/api/v1/contracts?limit=500&${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items;
  }

  it('has realistic vendors, each with its own metric definitions and products', async () => {
    const vendors = await client.get('/api/v1/vendors');
    expect(vendors.statusCode).toBe(200);
    const items: Array<{ id: string; name: string }> = vendors.json().items;
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const vendor of items) {
      const metrics = await client.get(`/api/v1/vendors/${vendor.id}/metrics`);
      expect(metrics.json().items.length, vendor.name).toBeGreaterThanOrEqual(1);
      const products = await client.get(`/api/v1/products?vendorId=${vendor.id}`);
      expect(products.json().items.length, vendor.name).toBeGreaterThanOrEqual(2);
    }
    const products: Array<{ metric: string; blockSize: number }> = (await client.get('/api/v1/products?limit=500')).json().items;
    expect(products).toContainEqual(expect.objectContaining({ metric: 'core', blockSize: 2 }));
    expect(products).toContainEqual(expect.objectContaining({ metric: 'user', blockSize: 25 }));
    expect(products).toContainEqual(expect.objectContaining({ metric: 'named_user' }));
  });

  it('has several years of contracts in three currencies, some of them over', async () => {
    const contracts = await list('kind=contract');
    expect(contracts.length).toBeGreaterThanOrEqual(20);
    expect(new Set(contracts.map((c) => c.currency))).toEqual(new Set(['CHF', 'EUR', 'USD']));
    expect(new Set(contracts.map((c) => c.status))).toEqual(new Set(['active', 'expired', 'terminated']));
    expect(contracts.filter((c) => c.supersedesId !== null).length, 'renewals chained to what they renew').toBeGreaterThanOrEqual(4);
    expect(contracts.every((c) => Number(c.totals.net) >= 0)).toBe(true);
    expect(demo.vault.contracts).toBe(contracts.length);
    expect(Number(demo.vault.firstYear)).toBeLessThanOrEqual(Number(today.slice(0, 4)) - 3);
  });

  it('has pending proposals whose first version was superseded by a second', async () => {
    const pending = await list('kind=proposal&status=pending');
    const superseded = new Map((await list('kind=proposal&status=superseded')).map((p) => [p.id, p]));
    const revised = pending.filter((p) => p.supersedesId !== null && superseded.has(p.supersedesId));
    expect(revised.length).toBeGreaterThanOrEqual(2);
    expect(demo.vault.pendingProposals).toBe(pending.length);
  });

  it('has notice deadlines within the next 90 days', async () => {
    const response = await client.get('/api/v1/deadlines?withinDays=90');
    expect(response.statusCode).toBe(200);
    const deadlines: Array<{ type: string; date: string }> = response.json();
    const notices = deadlines.filter((d) => d.type === 'notice');
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices.every((d) => d.date >= today && d.date <= addDays(today, 90))).toBe(true);
    expect(demo.vault.deadlines).toBe(deadlines.length);
  });

  it('has holdings in vendor blocks, with pending proposals beside them', async () => {
    const response = await client.get('/api/v1/licenses?limit=500');
    expect(response.statusCode).toBe(200);
    const holdings: Array<{ product: { name: string }; quantity: number; blockSize: number; blocks: number; pendingProposals: unknown[] }> =
      response.json().items;
    expect(holdings.length).toBeGreaterThan(0);
    for (const holding of holdings) expect(holding.blocks).toBe(Math.ceil(holding.quantity / holding.blockSize));
    const e3 = holdings.find((h) => h.product.name === 'Officium Suite E3');
    expect(e3).toMatchObject({ quantity: 325, blockSize: 25, blocks: 13 });
    expect(e3!.pendingProposals.length).toBe(1);
  });

  it('changes nothing when run again', async () => {
    const count = async () => (await t.db.asOwner<{ n: number }>('SELECT count(*)::int AS n FROM contracts'))[0]!.n;
    const before = await count();
    expect(await createDemoCompany(t.db.database)).toBeNull();
    expect(await count()).toBe(before);
  });
});

describe('pactum demo data', () => {
  const validate = (schema: object) => validatorCompiler({ schema, httpPart: 'body' });
  const validContract = validate(ContractInput);
  const validVendor = validate(VendorInput);
  const validMetrics = validate(MetricDefinitions);
  const validProduct = validate(ProductInput);
  // Month ends, a leap day and a year end: the dates are computed from the day the demo runs.
  const days = ['2026-01-31', '2028-02-29', '2027-02-28', '2026-12-31', '2026-06-15'];

  it.each(days)('is what the API would accept, on %s', (today) => {
    for (const vendor of demoVendors(today)) {
      expect(validVendor({ name: vendor.name, website: vendor.website, notes: vendor.notes, aliases: vendor.aliases }), vendor.name).toBe(
        true,
      );
      expect(validMetrics({ items: vendor.metrics }), vendor.name).toBe(true);
      const productIds = new Map(vendor.products.map((p) => [p.key, randomUUID()]));
      for (const product of vendor.products) {
        expect(
          validProduct({
            vendorId: randomUUID(),
            name: product.name,
            sku: product.sku,
            metric: product.metric,
            blockSize: product.blockSize,
          }),
          product.name,
        ).toBe(true);
      }
      const dealIds = new Map<string, string>();
      for (const deal of vendor.deals) {
        const input = contractInput(deal, randomUUID(), vendor.currency, productIds, dealIds);
        expect(validContract(input), `${deal.key}: ${JSON.stringify(validContract.errors)}`).toBe(true);
        if (input.endsOn !== null) expect(input.endsOn >= input.startsOn, deal.key).toBe(true);
        dealIds.set(deal.key, randomUUID());
      }
    }
  });

  it.each(days)('always has notice deadlines in the next 90 days, on %s', (today) => {
    const running = demoVendors(today).flatMap((vendor) =>
      vendor.deals.filter((deal) => (deal.kind ?? 'contract') === 'contract' && !deal.status && deal.endsOn),
    );
    const notices = running.flatMap((deal) =>
      contractDeadlines(
        {
          endsOn: deal.endsOn!,
          noticePeriodDays: deal.noticePeriodDays ?? null,
          autoRenew: deal.autoRenew ?? false,
          renewalTermMonths: deal.renewalTermMonths ?? null,
        },
        today,
      ).filter((d) => d.type === 'notice' && d.date >= today && d.date <= addDays(today, 90)),
    );
    expect(notices.length).toBeGreaterThanOrEqual(3);
  });
});
