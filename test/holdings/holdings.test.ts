import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayUtc } from '../../src/deadlines/dates.js';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { archiveContract, createContract, createProduct, createVendor } from './vault-fixtures.js';

describe(`holdings: GET /api/v1/licenses (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let insider: Member;
  let outsider: Member;
  let oracle: string;
  let adobe: string;
  let database: string;
  let designSuite: string;
  let restrictedId: string;
  const ids: Record<string, string> = {};
  const today = todayUtc();

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    insider = await addMember(t, master);
    outsider = await addMember(t, master);
    const legal = await createGroup(t, master.tenantId, 'Legal', [master.userId, insider.userId]);
    oracle = await createVendor(master.client, 'Oracle');
    adobe = await createVendor(master.client, 'Adobe');
    database = await createProduct(master.client, oracle, 'Database Enterprise', { blockSize: 25, sku: 'DB-EE', metric: 'core' });
    const diagnostics = await createProduct(master.client, oracle, 'Diagnostics Pack', { blockSize: 10 });
    designSuite = await createProduct(master.client, adobe, 'Creative Cloud', { blockSize: 5, metric: 'named_user' });

    const c = (title: string, spec: Omit<Parameters<typeof createContract>[1], 'title'>) =>
      createContract(master.client, { title, ...spec });
    ids.main = await c('Oracle ULA', {
      vendorId: oracle,
      endsOn: addDays(today, 400),
      lineItems: [{ productId: database, quantity: 30 }],
    });
    // Two line items of the same product on one contract count once per contract, summed.
    ids.extension = await c('Oracle extension', {
      vendorId: oracle,
      endsOn: null,
      lineItems: [
        { productId: database, quantity: 15 },
        { productId: database, quantity: 5 },
        { productId: diagnostics, quantity: 10 },
      ],
    });
    // Auto-renewing and past its first end date: it has renewed, so it still counts.
    ids.renewing = await c('Oracle support (renews)', {
      vendorId: oracle,
      endsOn: addDays(today, -30),
      noticePeriodDays: 30,
      autoRenew: true,
      renewalTermMonths: 12,
      lineItems: [{ productId: database, quantity: 4 }],
    });
    ids.endsToday = await c('Oracle last day', { vendorId: oracle, endsOn: today, lineItems: [{ productId: database, quantity: 1 }] });
    // Not counted: ended, expired, terminated, archived, not yet started, proposals.
    await c('Oracle ended yesterday', {
      vendorId: oracle,
      startsOn: '2019-01-01',
      endsOn: addDays(today, -1),
      lineItems: [{ productId: database, quantity: 1000 }],
    });
    await c('Oracle expired', {
      vendorId: oracle,
      status: 'expired',
      endsOn: addDays(today, 30),
      lineItems: [{ productId: database, quantity: 2000 }],
    });
    await c('Oracle terminated', { vendorId: oracle, status: 'terminated', lineItems: [{ productId: database, quantity: 3000 }] });
    const archived = await c('Oracle archived', { vendorId: oracle, lineItems: [{ productId: database, quantity: 4000 }] });
    await archiveContract(master.client, archived);
    await c('Oracle renewal next year', {
      vendorId: oracle,
      startsOn: addDays(today, 10),
      lineItems: [{ productId: database, quantity: 5000 }],
    });
    ids.proposal = await c('Oracle expansion offer', {
      vendorId: oracle,
      kind: 'proposal',
      lineItems: [{ productId: database, quantity: 100 }],
    });
    await c('Oracle rejected offer', { vendorId: oracle, kind: 'proposal', lineItems: [{ productId: database, quantity: 6000 }] }).then(
      async (id) => {
        const rejected = await master.client.request({ method: 'PATCH', url: `/api/v1/contracts/${id}`, payload: { status: 'rejected' } });
        expect(rejected.statusCode, rejected.body).toBe(200);
      },
    );
    // Restricted to the Legal group: only its members hold these 50 licences in their view.
    restrictedId = await c('Adobe for Legal', {
      vendorId: adobe,
      groupIds: [legal],
      lineItems: [{ productId: designSuite, quantity: 50 }],
    });
    ids.designOffer = await c('Adobe offer', { vendorId: adobe, kind: 'proposal', lineItems: [{ productId: designSuite, quantity: 7 }] });
  });
  afterAll(() => t.close());

  it('consolidates active contracts per product, in vendor blocks, with pending proposals beside them', async () => {
    const response = await master.client.get('/api/v1/licenses');
    expect(response.statusCode, response.body).toBe(200);
    const holdings = response.json().items;
    expect(response.json().nextCursor).toBeNull();
    expect(holdings.map((h: { product: { name: string } }) => h.product.name)).toEqual([
      'Creative Cloud',
      'Database Enterprise',
      'Diagnostics Pack',
    ]);

    const db = holdings.find((h: { product: { id: string } }) => h.product.id === database);
    expect(db).toEqual({
      product: { id: database, name: 'Database Enterprise', sku: 'DB-EE' },
      vendor: { id: oracle, name: 'Oracle' },
      metric: 'core',
      blockSize: 25,
      quantity: 30 + 20 + 4 + 1,
      blocks: 3, // 55 cores in blocks of 25
      contracts: [
        { id: ids.extension, title: 'Oracle extension', quantity: 20 },
        { id: ids.endsToday, title: 'Oracle last day', quantity: 1 },
        { id: ids.renewing, title: 'Oracle support (renews)', quantity: 4 },
        { id: ids.main, title: 'Oracle ULA', quantity: 30 },
      ],
      pendingProposals: [{ id: ids.proposal, title: 'Oracle expansion offer', quantity: 100 }],
    });
    const diagnostics = holdings.find((h: { product: { name: string } }) => h.product.name === 'Diagnostics Pack');
    expect(diagnostics).toMatchObject({ quantity: 10, blocks: 1, blockSize: 10, pendingProposals: [] });
  });

  it('filters by vendor', async () => {
    const response = await master.client.get(`/api/v1/licenses?vendorId=${adobe}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual([
      {
        product: { id: designSuite, name: 'Creative Cloud', sku: null },
        vendor: { id: adobe, name: 'Adobe' },
        metric: 'named_user',
        blockSize: 5,
        quantity: 50,
        blocks: 10,
        contracts: [{ id: restrictedId, title: 'Adobe for Legal', quantity: 50 }],
        pendingProposals: [{ id: ids.designOffer, title: 'Adobe offer', quantity: 7 }],
      },
    ]);
    expect((await master.client.get('/api/v1/licenses?vendorId=not-a-uuid')).statusCode).toBe(400);
    expect((await master.client.get('/api/v1/licenses?limit=501')).statusCode).toBe(400);
  });

  it('pages through the products in vendor and product order, with limit and cursor', async () => {
    const all = (await master.client.get('/api/v1/licenses')).json().items.map((h: { product: { id: string } }) => h.product.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await master.client.get(`/api/v1/licenses?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      const body: { items: Array<{ product: { id: string } }>; nextCursor: string | null } = response.json();
      expect(body.items.length).toBe(1);
      seen.push(body.items[0]!.product.id);
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(all.length).toBe(3);
    const foreignCursor = Buffer.from(JSON.stringify(['x', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expect((await master.client.get(`/api/v1/licenses?cursor=${foreignCursor}`)).json().code).toBe('validation_failed');
  });

  it('counts a restricted contract only for members of its groups', async () => {
    const inside = (await insider.client.get(`/api/v1/licenses?vendorId=${adobe}`)).json().items;
    expect(inside[0]).toMatchObject({ quantity: 50, blocks: 10 });

    const outside = await outsider.client.get(`/api/v1/licenses?vendorId=${adobe}`);
    expect(outside.statusCode).toBe(200);
    // The product still shows through the visible pending proposal, without the restricted quantity.
    expect(outside.json().items).toEqual([
      expect.objectContaining({
        quantity: 0,
        blocks: 0,
        contracts: [],
        pendingProposals: [{ id: ids.designOffer, title: 'Adobe offer', quantity: 7 }],
      }),
    ]);
    expect(outside.body).not.toContain(restrictedId);
  });

  it('shows another tenant nothing, even when asked for this tenant’s vendor', async () => {
    const other = await registerCompany(t);
    expect((await other.client.get('/api/v1/licenses')).json()).toEqual({ items: [], nextCursor: null });
    expect((await other.client.get(`/api/v1/licenses?vendorId=${oracle}`)).json()).toEqual({ items: [], nextCursor: null });
  });

  it('refuses an anonymous caller', async () => {
    const response = await new Client(t).get('/api/v1/licenses');
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('unauthenticated');
  });
});
