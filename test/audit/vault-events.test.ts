import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGroup, contractBody, createContract, createProduct, createVendor, patch } from '../contracts/helpers.js';
import { samples, upload } from '../documents/helpers.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

describe(`vault events in the audit trail (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const events = (tenantId: string, action: string) =>
    t.db.asOwner<{ actor_id: string; target_id: string; details: Record<string, unknown> }>(
      'SELECT actor_id, target_id, details FROM audit_events WHERE tenant_id = $1 AND action = $2 ORDER BY seq',
      [tenantId, action],
    );

  it('records every change of who may see a contract, with the groups before and after', async () => {
    const company = await registerCompany(t);
    const vendorId = await createVendor(company.client, 'SAP');
    const productId = await createProduct(company.client, vendorId, 'S/4HANA');
    const board = await addGroup(t, company.tenantId, 'Board', [company.userId]);
    const open = await createContract(company.client, contractBody(vendorId, productId, { title: 'ERP' }));
    expect(await events(company.tenantId, 'contract.visibility_changed')).toEqual([]);

    expect((await patch(company.client, `/api/v1/contracts/${open.id}`, { groupIds: [board] })).statusCode).toBe(200);
    expect((await patch(company.client, `/api/v1/contracts/${open.id}`, { title: 'ERP (renamed)' })).statusCode).toBe(200);
    expect((await patch(company.client, `/api/v1/contracts/${open.id}`, { groupIds: [] })).statusCode).toBe(200);
    const changes = await events(company.tenantId, 'contract.visibility_changed');
    expect(changes).toEqual([
      { actor_id: company.userId, target_id: open.id, details: { groupIdsBefore: [], groupIdsAfter: [board] } },
      { actor_id: company.userId, target_id: open.id, details: { groupIdsBefore: [board], groupIdsAfter: [] } },
    ]);
  });

  it('records document downloads', async () => {
    const company = await registerCompany(t);
    const vendorId = await createVendor(company.client, 'Adobe');
    const productId = await createProduct(company.client, vendorId, 'Acrobat');
    const contract = await createContract(company.client, contractBody(vendorId, productId, { title: 'Acrobat ETLA' }));
    const uploaded = await upload(company.client, contract.id, samples.pdf());
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(await events(company.tenantId, 'document.downloaded')).toEqual([]);
    expect((await company.client.get(`/api/v1/documents/${uploaded.json().id}`)).statusCode).toBe(200);
    expect(await events(company.tenantId, 'document.downloaded')).toEqual([
      { actor_id: company.userId, target_id: uploaded.json().id, details: { contractId: contract.id } },
    ]);
  });
});
