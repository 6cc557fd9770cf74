import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenant } from '../../src/db/tenant-context.js';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { createContract, multipartBody, samples, upload } from './helpers.js';

/**
 * The threat model of documents: another tenant, a member outside the contract's access group, a master
 * who is not in it, a revoked user and an anonymous caller — each gets 404 (or 401) on every route.
 */
describe(`documents: boundaries (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let outsider: Registered;
  let inGroup: Member;
  let outOfGroup: Member;
  let openContract: string;
  let restrictedContract: string;
  let openDocument: string;
  let restrictedDocument: string;

  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
    outsider = await registerCompany(t, { companyName: 'Initech' });
    inGroup = await addMember(t, company);
    outOfGroup = await addMember(t, company);
    const group = await createGroup(t, company.tenantId, 'Legal', [company.userId, inGroup.userId]);
    openContract = await createContract(company.client, { title: 'Open to all' });
    restrictedContract = await createContract(company.client, { title: 'Legal only', groupIds: [group] });
    openDocument = (await upload(company.client, openContract, samples.pdf('open'))).json().id;
    restrictedDocument = (await upload(company.client, restrictedContract, samples.pdf('restricted'))).json().id;
    expect([openDocument, restrictedDocument]).toEqual([expect.any(String), expect.any(String)]);
  });
  afterAll(() => t.close());

  const routes = (contractId: string, documentId: string) => ({
    list: (client: Client) => client.get(`/api/v1/contracts/${contractId}/documents`),
    upload: (client: Client) => upload(client, contractId, samples.pdf('intruder')),
    download: (client: Client) => client.get(`/api/v1/documents/${documentId}`),
  });

  const expectNotFound = async (client: Client, contractId: string, documentId: string) => {
    for (const [name, call] of Object.entries(routes(contractId, documentId))) {
      const response = await call(client);
      expect(response.statusCode, `${name}: ${response.body}`).toBe(404);
      expect(response.json().code).toBe('not_found');
      expect(response.body).not.toContain('restricted');
    }
  };

  it("another tenant's master gets 404 on every route, and no tenant key comes of it", async () => {
    await expectNotFound(outsider.client, openContract, openDocument);
    await expectNotFound(outsider.client, restrictedContract, restrictedDocument);
    expect(await t.db.asOwner('SELECT 1 FROM tenant_keys WHERE tenant_id = $1', [outsider.tenantId])).toHaveLength(0);
    expect(await t.db.asOwner('SELECT 1 FROM documents WHERE tenant_id = $1', [outsider.tenantId])).toHaveLength(0);
  });

  it('answers a foreign document exactly like one that does not exist', async () => {
    const foreign = await outsider.client.get(`/api/v1/documents/${openDocument}`);
    const unknown = await outsider.client.get('/api/v1/documents/00000000-0000-4000-8000-000000000000');
    expect(foreign.statusCode).toBe(unknown.statusCode);
    expect(foreign.body).toBe(unknown.body);
  });

  it('an anonymous caller gets 401 on every route', async () => {
    const anonymous = new Client(t);
    for (const [name, call] of Object.entries(routes(openContract, openDocument))) {
      const response = await call(anonymous);
      expect(response.statusCode, name).toBe(401);
      expect(response.json().code).toBe('unauthenticated');
    }
  });

  it("a member outside the contract's group gets 404; the open contract stays visible to them", async () => {
    await expectNotFound(outOfGroup.client, restrictedContract, restrictedDocument);
    expect((await outOfGroup.client.get(`/api/v1/contracts/${openContract}/documents`)).statusCode).toBe(200);
    const download = await outOfGroup.client.get(`/api/v1/documents/${openDocument}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(samples.pdf('open'));
  });

  it('a member of the group lists, downloads and uploads', async () => {
    const list = await inGroup.client.get(`/api/v1/contracts/${restrictedContract}/documents`);
    expect(list.json().items.map((item: { id: string }) => item.id)).toContain(restrictedDocument);
    expect((await inGroup.client.get(`/api/v1/documents/${restrictedDocument}`)).rawPayload).toEqual(samples.pdf('restricted'));
    const uploaded = await upload(inGroup.client, restrictedContract, samples.png());
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json().uploadedBy).toBe(inGroup.userId);
  });

  it('a master outside the group sees nothing of a contract once it is restricted', async () => {
    const contractId = await createContract(company.client, { title: 'Restricted later' });
    const documentId = (await upload(company.client, contractId, samples.pdf('later'))).json().id;
    const onlyMember = await createGroup(t, company.tenantId, 'Board', [inGroup.userId]);
    await t.db.asOwner('INSERT INTO contract_groups (tenant_id, contract_id, group_id) VALUES ($1, $2, $3)', [
      company.tenantId,
      contractId,
      onlyMember,
    ]);
    await expectNotFound(company.client, contractId, documentId);
    expect((await inGroup.client.get(`/api/v1/documents/${documentId}`)).statusCode).toBe(200);
  });

  it('a revoked user gets 401', async () => {
    const leaving = await addMember(t, company);
    expect((await leaving.client.get(`/api/v1/documents/${openDocument}`)).statusCode).toBe(200);
    await t.db.asOwner("UPDATE users SET status = 'revoked', revoked_at = now() WHERE id = $1", [leaving.userId]);
    for (const call of Object.values(routes(openContract, openDocument))) expect((await call(leaving.client)).statusCode).toBe(401);
  });

  it('checks visibility again after the upload: a contract restricted meanwhile gets no document and keeps no blob', async () => {
    const contractId = await createContract(company.client, { title: 'Restricted during upload' });
    const board = await createGroup(t, company.tenantId, 'Audit', [inGroup.userId]);
    const { body, contentType } = multipartBody([
      { name: 'file', filename: 'race.pdf', contentType: 'application/pdf', data: samples.pdf('race') },
    ]);
    const half = Math.floor(body.length / 2);
    // The body arrives in two halves; between them the contract is restricted to a group without the uploader.
    const payload = Readable.from(
      (async function* () {
        yield body.subarray(0, half);
        await t.db.asOwner('INSERT INTO contract_groups (tenant_id, contract_id, group_id) VALUES ($1, $2, $3)', [
          company.tenantId,
          contractId,
          board,
        ]);
        yield body.subarray(half);
      })(),
    );
    const blobsDir = join(t.config.dataDir, 'documents', company.tenantId);
    const blobsBefore = readdirSync(blobsDir).length;
    const response = await company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${contractId}/documents`,
      payload,
      headers: { 'content-type': contentType },
    });
    expect(response.statusCode, response.body).toBe(404);
    expect(await t.db.asOwner('SELECT 1 FROM documents WHERE contract_id = $1', [contractId])).toHaveLength(0);
    expect(existsSync(blobsDir) && readdirSync(blobsDir).length).toBe(blobsBefore);
  });

  it('the database itself refuses a document row for a contract the user cannot see (RLS backstop)', async () => {
    const [key] = await t.db.asOwner<{ version: number }>('SELECT version FROM tenant_keys WHERE tenant_id = $1', [company.tenantId]);
    const insert = () =>
      inTenant(t.db.database.kysely, { tenantId: company.tenantId, userId: outOfGroup.userId }, (tx) =>
        tx
          .insertInto('documents')
          .values({
            contract_id: restrictedContract,
            filename: 'x.pdf',
            content_type: 'application/pdf',
            size_bytes: 1,
            sha256: Buffer.alloc(32),
            storage_key: 'x',
            key_version: key!.version,
            uploaded_by: outOfGroup.userId,
          })
          .execute(),
      );
    await expect(insert()).rejects.toMatchObject({ code: '42501' });
    expect(await t.db.asOwner('SELECT 1 FROM documents WHERE storage_key = $1', ['x'])).toHaveLength(0);
  });

  it('refuses a cross-site upload with the session cookie', async () => {
    const response = await company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${openContract}/documents`,
      ...(() => {
        const { body, contentType } = multipartBody([{ name: 'file', filename: 'x.pdf', data: samples.pdf() }]);
        return { payload: body, headers: { 'content-type': contentType, origin: 'https://evil.example' } };
      })(),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('origin_mismatch');
  });
});
