import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { openDocument, sealedSize } from '../../src/documents/document-cipher.js';
import { blobFromStream } from '../../src/documents/storage.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { startFakeS3, type FakeS3 } from '../fakes/fake-s3.js';
import { createContract, readAll, samples, tenantDataKey, upload } from './helpers.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe(`documents in an S3-compatible bucket (${engineName})`, () => {
  let s3: FakeS3;
  let t: TestApp;
  let company: Registered;
  let contractId: string;
  beforeAll(async () => {
    s3 = await startFakeS3();
    t = await startTestApp({
      PACTUM_DOCUMENTS_S3_ENDPOINT: s3.url,
      PACTUM_DOCUMENTS_S3_BUCKET: 'pactum-documents',
      PACTUM_DOCUMENTS_S3_REGION: 'eu-central-2',
      PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE',
      PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
      PACTUM_DOCUMENTS_S3_PREFIX: 'pactum/docs',
    });
    company = await registerCompany(t);
    contractId = await createContract(company.client);
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  const objectOf = (documentId: string) => s3.objects.get(`pactum-documents/pactum/docs/${company.tenantId}/${documentId}`);

  it.each([
    ['PDF', samples.pdf(`S3-${randomBytes(6).toString('hex')}`), 'application/pdf'],
    ['PNG', samples.png(`S3-${randomBytes(6).toString('hex')}`), 'image/png'],
    ['JPEG', samples.jpeg(`S3-${randomBytes(6).toString('hex')}`), 'image/jpeg'],
  ])('round-trips a %s through the bucket, stored encrypted and byte-exact', async (_name, bytes, contentType) => {
    const uploaded = await upload(company.client, contractId, bytes, 'file.bin');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const { id } = uploaded.json();
    expect(uploaded.json().contentType).toBe(contentType);

    const stored = objectOf(id);
    expect(stored).toBeDefined();
    expect(stored!.bytes.includes(bytes.subarray(8))).toBe(false);
    // What the bucket holds is exactly the blob the app sent: it opens under the tenant key and the
    // document's ids, and is exactly as long as the segmented format says — no aws-chunked framing.
    expect(stored!.sha256).toBe(sha256(stored!.bytes));
    expect(stored!.bytes.length).toBe(sealedSize(bytes.length));
    const key = await tenantDataKey(t, company);
    const opened = await openDocument(blobFromStream(Readable.from([stored!.bytes]), stored!.bytes.length), {
      dataKey: key,
      tenantId: company.tenantId,
      documentId: id,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest(),
    });
    expect(sha256(await readAll(opened))).toBe(sha256(bytes));
    const put = s3.requests.find((request) => request.method === 'PUT' && request.key.endsWith(id))!;
    expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(put.headers['content-length']).toBe(String(stored!.bytes.length));
    expect(String(put.headers['x-amz-content-sha256'] ?? '')).not.toMatch(/^STREAMING-/);

    const download = await company.client.get(`/api/v1/documents/${id}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(bytes);
    expect(download.headers['content-type']).toBe(contentType);
  });

  it('writes nothing to the local documents directory', () => {
    expect(existsSync(join(t.config.dataDir, 'documents'))).toBe(false);
  });

  it('refuses an object altered in the bucket', async () => {
    const { id } = (await upload(company.client, contractId, samples.pdf('tamper-s3'))).json();
    const stored = objectOf(id)!;
    stored.bytes[stored.bytes.length - 1]! ^= 0xff;
    const response = await company.client.get(`/api/v1/documents/${id}`);
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('document_integrity_failed');
    expect(response.body).not.toContain('tamper-s3');
  });

  it('refuses an object gone from the bucket', async () => {
    const { id } = (await upload(company.client, contractId, samples.pdf('gone'))).json();
    s3.objects.delete(`pactum-documents/pactum/docs/${company.tenantId}/${id}`);
    expect((await company.client.get(`/api/v1/documents/${id}`)).json().code).toBe('document_integrity_failed');
  });

  it('records nothing when the bucket refuses the upload', async () => {
    const before = await t.db.asOwner('SELECT id FROM documents WHERE tenant_id = $1', [company.tenantId]);
    for (let i = 0; i < 3; i += 1) s3.failNext(500);
    const response = await upload(company.client, contractId, samples.pdf('refused'));
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('internal_error');
    expect(response.body).not.toContain('fake-secret-for-tests');
    expect(await t.db.asOwner('SELECT id FROM documents WHERE tenant_id = $1', [company.tenantId])).toHaveLength(before.length);
    expect(t.logs.join('')).not.toContain('fake-secret-for-tests');
  });
});
