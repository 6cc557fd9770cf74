import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompany, startTestApp, type Client, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { contractBody, createContract, createProduct, createVendor } from './helpers.js';

interface Summary {
  id: string;
  title: string;
  vendorName: string;
  createdAt: string;
  [field: string]: unknown;
}

/** Follows nextCursor to the end and returns every page. */
async function allPages(client: Client, query: string): Promise<Summary[][]> {
  const pages: Summary[][] = [];
  let cursor: string | null = null;
  do {
    const response = await client.get(`/api/v1/contracts?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.statusCode, response.body).toBe(200);
    pages.push(response.json().items);
    cursor = response.json().nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

describe(`contract listing (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let adobe: string;
  let atlassian: string;
  let creativeCloud: string;
  let jira: string;

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    adobe = await createVendor(master.client, 'Adobe');
    atlassian = await createVendor(master.client, 'Atlassian');
    creativeCloud = await createProduct(master.client, adobe, 'Creative Cloud All Apps');
    jira = await createProduct(master.client, atlassian, 'Jira Software');
    await createContract(
      master.client,
      contractBody(adobe, creativeCloud, { title: 'Design seats', reference: 'PO-7781', terms: 'secret terms' }),
    );
    await createContract(master.client, contractBody(adobe, creativeCloud, { title: '100% uptime addendum', lineItems: [] }));
    await createContract(master.client, contractBody(adobe, creativeCloud, { title: '100 uptime addendum', lineItems: [] }));
    await createContract(master.client, contractBody(atlassian, jira, { title: 'Engineering tools', kind: 'proposal' }));
    await createContract(master.client, contractBody(atlassian, jira, { title: 'Wiki_seats', status: 'expired' }));
  });
  afterAll(() => t.close());

  it('lists summaries newest first with vendor name and totals, without line items or terms', async () => {
    const response = await master.client.get('/api/v1/contracts');
    expect(response.statusCode).toBe(200);
    const { items, nextCursor } = response.json();
    expect(nextCursor).toBeNull();
    expect(items.map((item: Summary) => item.title)).toEqual([
      'Wiki_seats',
      'Engineering tools',
      '100 uptime addendum',
      '100% uptime addendum',
      'Design seats',
    ]);
    const design = items[4];
    expect(design).toMatchObject({
      vendorId: adobe,
      vendorName: 'Adobe',
      reference: 'PO-7781',
      groupIds: [],
      totals: { currency: 'EUR', net: '900.0000', lineItems: 1 },
    });
    expect(design).not.toHaveProperty('lineItems');
    expect(design).not.toHaveProperty('terms');
  });

  it('searches title, reference, vendor and product names, case-insensitively', async () => {
    const titles = async (q: string) =>
      (await master.client.get(`/api/v1/contracts?q=${encodeURIComponent(q)}`))
        .json()
        .items.map((item: Summary) => item.title)
        .sort();
    expect(await titles('DESIGN')).toEqual(['Design seats']);
    expect(await titles('po-77')).toEqual(['Design seats']);
    expect(await titles('atlas')).toEqual(['Engineering tools', 'Wiki_seats']);
    expect(await titles('jira soft')).toEqual(['Engineering tools', 'Wiki_seats']);
    expect(await titles('creative')).toEqual(['Design seats']);
    expect(await titles('  creative  ')).toEqual(['Design seats']);
    expect(await titles('nothing like this')).toEqual([]);
  });

  it('treats % and _ in the search term as literal characters', async () => {
    const titles = async (q: string) =>
      (await master.client.get(`/api/v1/contracts?q=${encodeURIComponent(q)}`)).json().items.map((item: Summary) => item.title);
    expect(await titles('100%')).toEqual(['100% uptime addendum']);
    expect(await titles('%')).toEqual(['100% uptime addendum']);
    expect(await titles('_')).toEqual(['Wiki_seats']);
    expect(await titles('\\')).toEqual([]);
  });

  it('filters by vendor, kind and status', async () => {
    const titles = async (query: string) =>
      (await master.client.get(`/api/v1/contracts?${query}`)).json().items.map((item: Summary) => item.title);
    expect(await titles(`vendorId=${atlassian}`)).toEqual(['Wiki_seats', 'Engineering tools']);
    expect(await titles('kind=proposal')).toEqual(['Engineering tools']);
    expect(await titles('status=expired')).toEqual(['Wiki_seats']);
    expect(await titles(`vendorId=${adobe}&kind=proposal`)).toEqual([]);
    expect((await master.client.get('/api/v1/contracts?status=lost')).statusCode).toBe(400);
    expect((await master.client.get('/api/v1/contracts?limit=501')).statusCode).toBe(400);
    expect((await master.client.get('/api/v1/contracts?unknown=1')).statusCode).toBe(400);
  });

  it('paginates over at least three pages with no duplicates, stable while contracts are added', async () => {
    const vendor = await createVendor(master.client, 'Paginated Vendor');
    const created: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      created.push(
        (await createContract(master.client, { vendorId: vendor, title: `Page contract ${i}`, startsOn: '2025-01-01', currency: 'USD' }))
          .id,
      );
    }
    const first = await master.client.get(`/api/v1/contracts?vendorId=${vendor}&limit=3`);
    // A contract added after the first page is newer than everything on it: it never shifts later pages.
    await createContract(master.client, { vendorId: vendor, title: 'Late arrival', startsOn: '2025-01-01', currency: 'USD' });
    const firstIds = first.json().items.map((item: Summary) => item.id);
    let cursor: string | null = first.json().nextCursor;
    const following: string[] = [];
    let pages = 1;
    while (cursor) {
      const response = await master.client.get(`/api/v1/contracts?vendorId=${vendor}&limit=3&cursor=${cursor}`);
      following.push(...response.json().items.map((item: Summary) => item.id));
      cursor = response.json().nextCursor;
      pages += 1;
    }
    expect(pages).toBe(3);
    const seen = [...firstIds, ...following];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...created].reverse());
  });

  it('orders rows created in the same microsecond by id, and rows microseconds apart by time', async () => {
    const vendor = await createVendor(master.client, 'Same Instant Vendor');
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push(
        (await createContract(master.client, { vendorId: vendor, title: `Instant ${i}`, startsOn: '2025-01-01', currency: 'USD' })).id,
      );
    }
    // Four share one instant; three others lie within the same millisecond, microseconds apart.
    await t.db.asOwner("UPDATE contracts SET created_at = '2030-01-01 00:00:00.123000+00' WHERE id = ANY($1::uuid[])", [ids.slice(0, 4)]);
    await t.db.asOwner("UPDATE contracts SET created_at = '2030-01-01 00:00:00.123400+00' WHERE id = $1", [ids[4]]);
    await t.db.asOwner("UPDATE contracts SET created_at = '2030-01-01 00:00:00.123700+00' WHERE id = $1", [ids[5]]);
    await t.db.asOwner("UPDATE contracts SET created_at = '2030-01-01 00:00:00.123999+00' WHERE id = $1", [ids[6]]);
    const pages = await allPages(master.client, `vendorId=${vendor}&limit=2`);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    const seen = pages.flat().map((item) => item.id);
    const sameInstant = ids.slice(0, 4).sort().reverse();
    expect(seen).toEqual([ids[6], ids[5], ids[4], ...sameInstant]);
  });
});
