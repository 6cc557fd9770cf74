import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { addGroup, addUser, contractBody, createContract, createProduct, createVendor, remove, type Member } from './helpers.js';

interface Versions {
  items: Array<{ id: string; title: string; supersedesId: string | null }>;
  truncated: boolean;
}

/**
 * GET /api/v1/contracts/{id}/versions: the chain along supersedesId both ways, as contract summaries,
 * oldest first, only what the caller can see, bounded.
 */
describe(`GET /api/v1/contracts/{id}/versions (${engineName})`, () => {
  let t: TestApp;
  let owner: Registered;
  let stranger: Registered;
  let insider: Member;
  let outsider: Member;
  let vendorId: string;
  let productId: string;
  let board: string;
  const ids: Record<string, string> = {};

  const create = async (client: Client, title: string, overrides: Record<string, unknown> = {}) =>
    (await createContract(client, contractBody(vendorId, productId, { title, ...overrides }))).id as string;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerCompany(t, { companyName: 'Versions AG' });
    stranger = await registerCompany(t, { companyName: 'Stranger AG' });
    insider = await addUser(t, owner);
    outsider = await addUser(t, owner);
    board = await addGroup(t, owner.tenantId, 'Board', [owner.userId, insider.userId]);
    vendorId = await createVendor(owner.client, 'Oracle');
    productId = await createProduct(owner.client, vendorId, 'Database Enterprise');

    // Offer v1 → v2 → accepted as contract c1; c1 is renewed by c2 (then c3) and got a renewal offer r1.
    ids.v1 = await create(owner.client, 'Offer v1', { kind: 'proposal' });
    ids.v2 = await create(owner.client, 'Offer v2', { kind: 'proposal', supersedesId: ids.v1 });
    const accepted = await owner.client.post(`/api/v1/contracts/${ids.v2}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(201);
    ids.c1 = accepted.json().id;
    ids.r1 = await create(owner.client, 'Renewal offer', { kind: 'proposal', supersedesId: ids.c1 });
    ids.c2 = await create(owner.client, 'Renewal 2026', { supersedesId: ids.c1 });
    ids.c3 = await create(owner.client, 'Renewal 2027', { supersedesId: ids.c2 });
  });
  afterAll(() => t.close());

  const versions = async (client: Client, id: string): Promise<Versions> => {
    const response = await client.get(`/api/v1/contracts/${id}/versions`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const titles = async (client: Client, id: string) => (await versions(client, id)).items.map((item) => item.title);

  it('follows supersedesId back to the first offer and forward to every later version, oldest first', async () => {
    expect(await titles(owner.client, ids.v2!)).toEqual([
      'Offer v1',
      'Offer v2',
      'Offer v2',
      'Renewal offer',
      'Renewal 2026',
      'Renewal 2027',
    ]);
    expect(await titles(owner.client, ids.v1!)).toEqual([
      'Offer v1',
      'Offer v2',
      'Offer v2',
      'Renewal offer',
      'Renewal 2026',
      'Renewal 2027',
    ]);
    // From a renewal: its ancestors and descendants, not the sibling renewal offer of its predecessor.
    expect(await titles(owner.client, ids.c2!)).toEqual(['Offer v1', 'Offer v2', 'Offer v2', 'Renewal 2026', 'Renewal 2027']);
    expect(await titles(owner.client, ids.r1!)).toEqual(['Offer v1', 'Offer v2', 'Offer v2', 'Renewal offer']);
    const single = await create(owner.client, 'Standalone');
    expect(await versions(owner.client, single)).toEqual({ items: [expect.objectContaining({ id: single })], truncated: false });
  });

  it('gives each version as the contract list summarises it', async () => {
    const list = (await owner.client.get('/api/v1/contracts?limit=500')).json().items as Array<{ id: string }>;
    const { items, truncated } = await versions(owner.client, ids.c1!);
    expect(truncated).toBe(false);
    expect(items).toEqual([ids.v1, ids.v2, ids.c1, ids.r1, ids.c2, ids.c3].map((id) => list.find((item) => item.id === id)));
  });

  it('stops where the caller may not follow: a restricted version hides itself and what lies behind it', async () => {
    const x1 = await create(owner.client, 'Open 2024');
    const x2 = await create(insider.client, 'Board 2025', { supersedesId: x1, groupIds: [board] });
    const x3 = await create(owner.client, 'Open 2026', { supersedesId: x2, groupIds: [] });
    expect(await titles(owner.client, x1)).toEqual(['Open 2024', 'Board 2025', 'Open 2026']);
    expect(await titles(insider.client, x3)).toEqual(['Open 2024', 'Board 2025', 'Open 2026']);
    expect(await titles(outsider.client, x1)).toEqual(['Open 2024']);
    expect(await titles(outsider.client, x3)).toEqual(['Open 2026']);
    const hidden = await outsider.client.get(`/api/v1/contracts/${x2}/versions`);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('not_found');
  });

  it('passes over an archived version, and an archived contract itself is 404', async () => {
    const y1 = await create(owner.client, 'Y 2024');
    const y2 = await create(owner.client, 'Y 2025', { supersedesId: y1 });
    const y3 = await create(owner.client, 'Y 2026', { supersedesId: y2 });
    expect((await remove(owner.client, `/api/v1/contracts/${y2}`)).statusCode).toBe(204);
    expect(await titles(owner.client, y1)).toEqual(['Y 2024', 'Y 2026']);
    expect(await titles(owner.client, y3)).toEqual(['Y 2024', 'Y 2026']);
    expect((await owner.client.get(`/api/v1/contracts/${y2}/versions`)).statusCode).toBe(404);
  });

  it('answers 404 to another company, for every version, and 401 without a session', async () => {
    for (const id of Object.values(ids)) {
      const response = await stranger.client.get(`/api/v1/contracts/${id}/versions`);
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('not_found');
    }
    expect((await new Client(t).get(`/api/v1/contracts/${ids.c1}/versions`)).statusCode).toBe(401);
    expect((await owner.client.get('/api/v1/contracts/not-a-uuid/versions')).statusCode).toBe(400);
  });

  it('gives at most 50 versions each way, the nearest, and says when there were more', async () => {
    const chain = [await create(owner.client, 'Z 0', { kind: 'proposal' })];
    for (let i = 1; i <= 52; i++) chain.push(await create(owner.client, `Z ${i}`, { kind: 'proposal', supersedesId: chain[i - 1] }));
    const first = await versions(owner.client, chain[0]!);
    expect(first.truncated).toBe(true);
    expect(first.items.map((item) => item.id)).toEqual(chain.slice(0, 51));
    const last = await versions(owner.client, chain[52]!);
    expect(last.truncated).toBe(true);
    expect(last.items.map((item) => item.id)).toEqual(chain.slice(2));
    const middle = await versions(owner.client, chain[26]!);
    expect(middle.truncated).toBe(false);
    expect(middle.items.map((item) => item.id)).toEqual(chain);
  });
});
