import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../helpers/members.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

describe(`POST /api/v1/demo-data: an empty company's first step (${engineName})`, () => {
  let t: TestApp;

  // Starting the embedded engine takes long on a busy machine.
  beforeAll(async () => {
    t = await startTestApp();
  }, 180_000);

  afterAll(() => t?.close());

  async function counts(company: Registered) {
    const response = await company.client.get('/api/v1/dashboard');
    expect(response.statusCode, response.body).toBe(200);
    return response.json().counts as { contracts: number; vendors: number; products: number; pendingProposals: number };
  }

  it('fills an empty vault in the caller’s tenant, once, and audits it', async () => {
    const company = await registerCompany(t);
    const other = await registerCompany(t);
    expect(await counts(company)).toMatchObject({ contracts: 0, vendors: 0, products: 0 });

    const loaded = await company.client.post('/api/v1/demo-data');
    expect(loaded.statusCode, loaded.body).toBe(201);
    const summary = loaded.json();
    expect(summary.vendors).toBeGreaterThan(0);
    expect(summary.contracts).toBeGreaterThan(0);

    const after = await counts(company);
    expect(after.vendors).toBe(summary.vendors);
    expect(after.products).toBe(summary.products);
    // Active contracts only: the demo also holds ended and superseded ones.
    expect(after.contracts).toBeGreaterThan(0);
    expect(after.contracts).toBeLessThanOrEqual(summary.contracts);
    expect(after.pendingProposals).toBe(summary.pendingProposals);
    // Another company sees none of it.
    expect(await counts(other)).toMatchObject({ contracts: 0, vendors: 0, products: 0 });

    const again = await company.client.post('/api/v1/demo-data');
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('vault_not_empty');
    expect((await counts(company)).vendors).toBe(summary.vendors);

    const audit = await company.client.get('/api/v1/audit-events?action=demo.data_loaded');
    expect(audit.statusCode, audit.body).toBe(200);
    const events = audit.json().items as Array<{ actorId: string | null; targetId: string | null; details: Record<string, unknown> }>;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: company.userId, targetId: company.tenantId, details: { vendors: summary.vendors } });
  });

  it('refuses once the company has anything of its own, and leaves it as it was', async () => {
    const company = await registerCompany(t);
    const vendor = await company.client.post('/api/v1/vendors', { name: 'Own Vendor AG' });
    expect(vendor.statusCode, vendor.body).toBe(201);
    const refused = await company.client.post('/api/v1/demo-data');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('vault_not_empty');
    expect((await counts(company)).vendors).toBe(1);
  });

  it('is for masters only', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const refused = await member.client.post('/api/v1/demo-data');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden');
    expect((await counts(company)).vendors).toBe(0);
  });

  it('needs a session', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/demo-data', headers: { origin: 'http://localhost:3000' } });
    expect(response.statusCode).toBe(401);
  });
});
