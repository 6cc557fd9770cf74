import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayUtc } from '../../src/deadlines/dates.js';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { archiveContract, createContract, createProduct, createVendor } from '../holdings/vault-fixtures.js';

interface DashboardBody {
  counts: { contracts: number; pendingProposals: number; vendors: number; products: number; holdings: number };
  spendByVendor: Array<{ vendorId: string; vendorName: string; currency: string; total: string; contracts: number }>;
  nextDeadlines: Array<{ contractId: string; title: string; vendor: { id: string; name: string }; type: string; date: string }>;
  pendingProposals: Array<{
    id: string;
    title: string;
    vendorId: string;
    vendorName: string;
    currency: string;
    total: string;
    supersedesId: string | null;
    signedOn: string | null;
    createdAt: string;
  }>;
}

interface Summary {
  id: string;
  vendorId: string;
  vendorName: string;
  title: string;
  currency: string;
  supersedesId: string | null;
  signedOn: string | null;
  createdAt: string;
  totals: { net: string };
}

/** Exact decimal addition of 4-place strings, so expectations never go through floating point. */
function addDecimals(values: string[]): string {
  const scaled = values.reduce((sum, value) => {
    const [whole, fraction = ''] = value.split('.');
    return sum + BigInt(whole!) * 10_000n + BigInt(fraction.padEnd(4, '0'));
  }, 0n);
  return `${scaled / 10_000n}.${String(scaled % 10_000n).padStart(4, '0')}`;
}

describe(`GET /api/v1/dashboard (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let insider: Member;
  let outsider: Member;
  let stranger: Registered;
  const today = todayUtc();
  const day = (n: number) => addDays(today, n);
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t, { companyName: 'Dashboard AG' });
    insider = await addMember(t, master);
    outsider = await addMember(t, master);
    stranger = await registerCompany(t, { companyName: 'Elsewhere GmbH' });
    const finance = await createGroup(t, master.tenantId, 'Finance', [master.userId, insider.userId]);

    ids.sap = await createVendor(master.client, 'SAP');
    ids.oracle = await createVendor(master.client, 'Oracle');
    ids.microsoft = await createVendor(master.client, 'Microsoft');
    const erp = await createProduct(master.client, ids.sap, 'S/4HANA users');
    const bw = await createProduct(master.client, ids.sap, 'BW cores');
    const unused = await createProduct(master.client, ids.sap, 'Never bought');
    const zero = await createProduct(master.client, ids.sap, 'Zero quantity');
    const offered = await createProduct(master.client, ids.sap, 'Only offered');
    const db = await createProduct(master.client, ids.oracle, 'Database EE');
    const office = await createProduct(master.client, ids.microsoft, 'Microsoft 365 E3');
    void unused;

    ids.sap1 = await createContract(master.client, {
      vendorId: ids.sap,
      title: 'SAP ERP',
      endsOn: day(400),
      lineItems: [
        { productId: erp, quantity: 10, netUnitPrice: '100.5' },
        { productId: bw, quantity: 3, netUnitPrice: '0.3333' },
      ],
    });
    ids.sap2 = await createContract(master.client, {
      vendorId: ids.sap,
      title: 'SAP BW',
      endsOn: day(20),
      noticePeriodDays: 10,
      lineItems: [
        { productId: erp, quantity: 1, netUnitPrice: '2000' },
        { productId: zero, quantity: 0, netUnitPrice: '50' },
      ],
    });
    ids.office = await createContract(master.client, {
      vendorId: ids.microsoft,
      title: 'Microsoft EA',
      currency: 'CHF',
      endsOn: day(365),
      lineItems: [{ productId: office, quantity: 2, netUnitPrice: '1234.5678' }],
    });
    // Visible to the Finance group only (the master is in it, the outsider is not).
    ids.secret = await createContract(insider.client, {
      vendorId: ids.oracle,
      title: 'Oracle secret',
      endsOn: day(5),
      noticePeriodDays: 2,
      groupIds: [finance],
      lineItems: [{ productId: db, quantity: 1, netUnitPrice: '5000' }],
    });
    ids.secretOffer = await createContract(insider.client, {
      vendorId: ids.oracle,
      kind: 'proposal',
      title: 'Oracle secret offer',
      groupIds: [finance],
      lineItems: [{ productId: db, quantity: 2, netUnitPrice: '4000' }],
    });
    // Counted nowhere in spend: expired, archived, and a proposal.
    await createContract(master.client, {
      vendorId: ids.sap,
      title: 'SAP old',
      status: 'expired',
      lineItems: [{ productId: erp, quantity: 5, netUnitPrice: '1' }],
    });
    const archived = await createContract(master.client, {
      vendorId: ids.oracle,
      title: 'Oracle archived',
      endsOn: day(3),
      lineItems: [{ productId: db, quantity: 9, netUnitPrice: '9' }],
    });
    await archiveContract(master.client, archived);
    ids.offer = await createContract(master.client, {
      vendorId: ids.sap,
      kind: 'proposal',
      title: 'SAP renewal offer',
      lineItems: [{ productId: offered, quantity: 4, netUnitPrice: '999.9999' }],
    });

    // The other company's vault must not show up anywhere in the first one's dashboard, nor the reverse.
    const foreignVendor = await createVendor(stranger.client, 'Foreign Vendor');
    const foreignProduct = await createProduct(stranger.client, foreignVendor, 'Foreign Product');
    await createContract(stranger.client, {
      vendorId: foreignVendor,
      title: 'Foreign contract',
      endsOn: day(1),
      noticePeriodDays: 0,
      lineItems: [{ productId: foreignProduct, quantity: 7, netUnitPrice: '7' }],
    });
    await createContract(stranger.client, { vendorId: foreignVendor, kind: 'proposal', title: 'Foreign offer' });
  });
  afterAll(() => t.close());

  const dashboardOf = async (client: Client): Promise<DashboardBody> => {
    const response = await client.get('/api/v1/dashboard');
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  const listed = async (client: Client, query: string): Promise<Summary[]> => {
    const response = await client.get(`/api/v1/contracts?limit=500&${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().items;
  };

  it('counts, sums and lists what a member of the group sees, restricted contracts included', async () => {
    const body = await dashboardOf(master.client);
    expect(body.counts).toEqual({ contracts: 4, pendingProposals: 2, vendors: 3, products: 7, holdings: 4 });
    expect(body.spendByVendor).toEqual([
      { vendorId: ids.oracle, vendorName: 'Oracle', currency: 'EUR', total: '5000.0000', contracts: 1 },
      { vendorId: ids.sap, vendorName: 'SAP', currency: 'EUR', total: '3005.9999', contracts: 2 },
      { vendorId: ids.microsoft, vendorName: 'Microsoft', currency: 'CHF', total: '2469.1356', contracts: 1 },
    ]);
    expect(body.nextDeadlines.map((deadline) => [deadline.title, deadline.type, deadline.date])).toEqual([
      ['Oracle secret', 'notice', day(3)],
      ['Oracle secret', 'end', day(5)],
      ['SAP BW', 'notice', day(10)],
      ['SAP BW', 'end', day(20)],
      ['Microsoft EA', 'end', day(365)],
    ]);
    expect(body.pendingProposals.map((proposal) => [proposal.title, proposal.total])).toEqual([
      ['SAP renewal offer', '3999.9996'],
      ['Oracle secret offer', '8000.0000'],
    ]);
  });

  it('leaves out for a member outside the group what they cannot open, in every section', async () => {
    const body = await dashboardOf(outsider.client);
    expect(body.counts).toEqual({ contracts: 3, pendingProposals: 1, vendors: 3, products: 7, holdings: 3 });
    expect(body.spendByVendor).toEqual([
      { vendorId: ids.sap, vendorName: 'SAP', currency: 'EUR', total: '3005.9999', contracts: 2 },
      { vendorId: ids.microsoft, vendorName: 'Microsoft', currency: 'CHF', total: '2469.1356', contracts: 1 },
    ]);
    const seen = JSON.stringify(body);
    for (const hidden of [ids.secret!, ids.secretOffer!, 'Oracle secret', '5000.0000', '8000.0000']) expect(seen).not.toContain(hidden);
    expect(body.pendingProposals.map((proposal) => proposal.id)).toEqual([ids.offer]);
  });

  it('shows another company only its own vault, and the first company nothing of it', async () => {
    const body = await dashboardOf(stranger.client);
    expect(body.counts).toEqual({ contracts: 1, pendingProposals: 1, vendors: 1, products: 1, holdings: 1 });
    expect(body.spendByVendor.map((entry) => [entry.vendorName, entry.currency, entry.total])).toEqual([
      ['Foreign Vendor', 'EUR', '49.0000'],
    ]);
    expect(body.nextDeadlines.map((deadline) => deadline.title)).toEqual(['Foreign contract', 'Foreign contract']);
    expect(body.pendingProposals.map((proposal) => proposal.title)).toEqual(['Foreign offer']);
    const own = JSON.stringify(await dashboardOf(master.client));
    expect(own).not.toContain('Foreign');
  });

  it('agrees with the screens it summarises, for every caller', async () => {
    for (const client of [master.client, insider.client, outsider.client, stranger.client]) {
      const body = await dashboardOf(client);
      const active = await listed(client, 'kind=contract&status=active');
      const pending = await listed(client, 'kind=proposal&status=pending');
      const vendors = (await client.get('/api/v1/vendors?limit=500')).json().items;
      const products = (await client.get('/api/v1/products?limit=500')).json().items;
      const held = (await client.get('/api/v1/licenses?limit=500')).json().items.filter((item: { quantity: number }) => item.quantity > 0);
      expect(body.counts).toEqual({
        contracts: active.length,
        pendingProposals: pending.length,
        vendors: vendors.length,
        products: products.length,
        holdings: held.length,
      });

      const byVendor = new Map<string, { vendorId: string; vendorName: string; currency: string; nets: string[] }>();
      for (const contract of active) {
        const key = `${contract.currency}/${contract.vendorId}`;
        const entry = byVendor.get(key) ?? {
          vendorId: contract.vendorId,
          vendorName: contract.vendorName,
          currency: contract.currency,
          nets: [],
        };
        entry.nets.push(contract.totals.net);
        byVendor.set(key, entry);
      }
      const expectedSpend = [...byVendor.values()].map(({ nets, ...entry }) => ({
        ...entry,
        total: addDecimals(nets),
        contracts: nets.length,
      }));
      expect(body.spendByVendor).toEqual(expect.arrayContaining(expectedSpend));
      expect(body.spendByVendor).toHaveLength(expectedSpend.length);

      const deadlines = await client.get('/api/v1/deadlines?withinDays=365&limit=12');
      expect(deadlines.statusCode, deadlines.body).toBe(200);
      expect(body.nextDeadlines).toEqual(deadlines.json());

      expect(body.pendingProposals).toEqual(
        pending.slice(0, 10).map((proposal) => ({
          id: proposal.id,
          title: proposal.title,
          vendorId: proposal.vendorId,
          vendorName: proposal.vendorName,
          currency: proposal.currency,
          total: proposal.totals.net,
          supersedesId: proposal.supersedesId,
          signedOn: proposal.signedOn,
          createdAt: proposal.createdAt,
        })),
      );
    }
  });

  describe('bounds', () => {
    let bounded: Registered;
    beforeAll(async () => {
      bounded = await registerCompany(t, { companyName: 'Many Vendors AG' });
      // 11 vendors in USD with one active contract each (vendor i spends i × 100), each with two deadlines in
      // the coming year; 11 pending proposals; one EUR vendor; one deadline beyond the year.
      for (let i = 1; i <= 11; i++) {
        const vendorId = await createVendor(bounded.client, `Vendor ${String(i).padStart(2, '0')}`);
        const productId = await createProduct(bounded.client, vendorId, `Product ${i}`);
        await createContract(bounded.client, {
          vendorId,
          title: `Contract ${i}`,
          currency: 'USD',
          endsOn: day(20 * i),
          noticePeriodDays: 5,
          lineItems: [{ productId, quantity: i, netUnitPrice: '100' }],
        });
        await createContract(bounded.client, { vendorId, kind: 'proposal', title: `Offer ${i}`, currency: 'USD' });
      }
      const euro = await createVendor(bounded.client, 'Euro Vendor');
      const euroProduct = await createProduct(bounded.client, euro, 'Euro product');
      await createContract(bounded.client, {
        vendorId: euro,
        title: 'Euro contract',
        endsOn: day(366),
        lineItems: [{ productId: euroProduct, quantity: 1, netUnitPrice: '0.0001' }],
      });
    });

    it('names the 10 largest vendors of each currency, largest first, currencies with more contracts first', async () => {
      const body = await dashboardOf(bounded.client);
      expect(body.spendByVendor.map((entry) => [entry.currency, entry.vendorName, entry.total])).toEqual([
        ...Array.from({ length: 10 }, (_, k) => ['USD', `Vendor ${String(11 - k).padStart(2, '0')}`, `${(11 - k) * 100}.0000`]),
        ['EUR', 'Euro Vendor', '0.0001'],
      ]);
      expect(body.counts.contracts).toBe(12);
    });

    it('lists the 12 soonest deadlines within 365 days and the 10 newest pending proposals', async () => {
      const body = await dashboardOf(bounded.client);
      expect(body.nextDeadlines).toHaveLength(12);
      expect(body.nextDeadlines).toEqual((await bounded.client.get('/api/v1/deadlines?withinDays=365')).json().slice(0, 12));
      expect(body.nextDeadlines.every((deadline) => deadline.date <= day(365))).toBe(true);
      expect(body.counts.pendingProposals).toBe(11);
      expect(body.pendingProposals.map((proposal) => proposal.title)).toEqual(Array.from({ length: 10 }, (_, k) => `Offer ${11 - k}`));
    });
  });

  it('answers 401 without a session', async () => {
    const response = await new Client(t).get('/api/v1/dashboard');
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('unauthenticated');
  });
});
