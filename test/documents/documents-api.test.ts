import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedSize } from '../../src/documents/document-cipher.js';
import { unwrapTenantKey } from '../../src/documents/tenant-keys.js';
import { deriveKey } from '../../src/identity/keys.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { blobPath, createContract, samples, tenantDataKey, upload, uploadForm } from './helpers.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe(`documents: upload, list, download (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let contractId: string;
  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
    contractId = await createContract(company.client);
  });
  afterAll(() => t.close());

  it.each([
    ['PDF', samples.pdf('round-trip'), 'Master agreement.pdf', 'application/pdf'],
    ['PNG', samples.png('round-trip'), 'signature page.png', 'image/png'],
    ['JPEG', samples.jpeg('round-trip'), 'scan.jpg', 'image/jpeg'],
  ])('round-trips a %s', async (_name, bytes, filename, contentType) => {
    const uploaded = await upload(company.client, contractId, bytes, filename, 'application/octet-stream');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const document = uploaded.json();
    expect(document).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      filename,
      contentType,
      size: bytes.length,
      sha256: sha256(bytes),
      uploadedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      uploadedBy: company.userId,
    });

    const list = await company.client.get(`/api/v1/contracts/${contractId}/documents`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toContainEqual(document);

    const download = await company.client.get(`/api/v1/documents/${document.id}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(bytes);
    expect(download.headers['content-type']).toBe(contentType);
    expect(download.headers['content-length']).toBe(String(bytes.length));
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
    );
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['cache-control']).toBe('no-store');
    expect(download.headers['content-security-policy']).toBe('sandbox');
  });

  it('serves a PDF inline when asked (the preview), with its exact type, nosniff and the sandbox kept', async () => {
    const uploaded = await upload(company.client, contractId, samples.pdf('inline'), 'Offer.pdf');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const inline = await company.client.get(`/api/v1/documents/${uploaded.json().id}?disposition=inline`);
    expect(inline.statusCode).toBe(200);
    expect(inline.rawPayload).toEqual(samples.pdf('inline'));
    expect(inline.headers['content-disposition']).toBe(`inline; filename="Offer.pdf"; filename*=UTF-8''Offer.pdf`);
    expect(inline.headers['content-type']).toBe('application/pdf');
    expect(inline.headers['x-content-type-options']).toBe('nosniff');
    expect(inline.headers['content-security-policy']).toBe('sandbox');
    expect(inline.headers['cache-control']).toBe('no-store');
    const asked = await company.client.get(`/api/v1/documents/${uploaded.json().id}?disposition=attachment`);
    expect(asked.headers['content-disposition']).toMatch(/^attachment; /);
  });

  it('never serves an image inline, and refuses other dispositions and parameters', async () => {
    const uploaded = await upload(company.client, contractId, samples.png('inline'), 'scan.png');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const image = await company.client.get(`/api/v1/documents/${uploaded.json().id}?disposition=inline`);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-disposition']).toMatch(/^attachment; filename="scan.png"/);
    expect(image.headers['content-type']).toBe('image/png');
    for (const query of ['disposition=form-data', 'disposition=INLINE', 'download=1']) {
      const refused = await company.client.get(`/api/v1/documents/${uploaded.json().id}?${query}`);
      expect(refused.statusCode, query).toBe(400);
      expect(refused.json().code).toBe('validation_failed');
    }
  });

  it('decides the type by the bytes: a .pdf name with PNG bytes is a PNG', async () => {
    const uploaded = await upload(company.client, contractId, samples.png(), 'invoice.pdf', 'application/pdf');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json()).toMatchObject({ contentType: 'image/png', filename: 'invoice.pdf.png' });
    const download = await company.client.get(`/api/v1/documents/${uploaded.json().id}`);
    expect(download.headers['content-type']).toBe('image/png');
  });

  it.each([
    [
      'a Windows executable named .pdf',
      Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), randomBytes(200)]),
      'contract.pdf',
      'application/pdf',
    ],
    ['text', Buffer.from('This is not a PDF, whatever the header says.'), 'contract.pdf', 'application/pdf'],
    ['a ZIP (DOCX)', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(100)]), 'contract.docx', 'application/pdf'],
    ['HTML with a PNG content type', Buffer.from('<html><script>alert(1)</script></html>'), 'x.png', 'image/png'],
    ['an empty file', Buffer.alloc(0), 'empty.pdf', 'application/pdf'],
    ['a file shorter than any signature', Buffer.from('%PD'), 'short.pdf', 'application/pdf'],
  ])('refuses %s with 415 and stores nothing', async (_name, bytes, filename, contentType) => {
    const before = await t.db.asOwner<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    const response = await upload(company.client, contractId, bytes, filename, contentType);
    expect(response.statusCode, response.body).toBe(415);
    expect(response.json().code).toBe('unsupported_media_type');
    const after = await t.db.asOwner<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('refuses a body that is not multipart', async () => {
    const json = await company.client.post(`/api/v1/contracts/${contractId}/documents`, { file: 'JVBERi0=' });
    expect(json.statusCode).toBe(415);
    expect(json.json().code).toBe('unsupported_media_type');
    const raw = await company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${contractId}/documents`,
      payload: samples.pdf(),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(raw.statusCode).toBe(415);
  });

  it('keeps the 1 MiB JSON body limit for everything that is not the upload form', async () => {
    const response = await company.client.post(`/api/v1/contracts/${contractId}/documents`, { file: 'x'.repeat(1024 * 1024 + 10) });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('payload_too_large');
  });

  it('wants exactly one file in the field "file"', async () => {
    const pdf = samples.pdf();
    const cases = [
      [{ name: 'upload', filename: 'a.pdf', data: pdf }],
      [{ name: 'file', data: 'just a text field' }],
      [
        { name: 'note', data: 'hello' },
        { name: 'file', filename: 'a.pdf', data: pdf },
      ],
      [
        { name: 'file', filename: 'a.pdf', data: pdf },
        { name: 'file', filename: 'b.pdf', data: pdf },
      ],
      [
        { name: 'file', filename: 'a.pdf', data: pdf },
        { name: 'note', data: 'trailing field' },
      ],
      [],
    ];
    const before = readdirSync(join(t.config.dataDir, 'documents', company.tenantId)).length;
    for (const parts of cases) {
      const response = await uploadForm(company.client, contractId, parts);
      expect(response.statusCode, JSON.stringify(parts.map((p) => p.name))).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body:/file' }] });
    }
    // A file followed by another part was read, encrypted and then dropped: nothing stays behind.
    expect(readdirSync(join(t.config.dataDir, 'documents', company.tenantId)).length).toBe(before);
  });

  it('answers a form that breaks off with 400 malformed_body', async () => {
    const response = await company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${contractId}/documents`,
      payload: Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 and then nothing'),
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('malformed_body');
  });

  it('sanitises the filename and serves it in both Content-Disposition forms', async () => {
    const uploaded = await upload(company.client, contractId, samples.pdf(), '..\\..\\Verträge\\Résumé «final»\u202E.pdf');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json().filename).toBe('Résumé «final».pdf');
    const download = await company.client.get(`/api/v1/documents/${uploaded.json().id}`);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="Resume _final_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB.pdf`,
    );

    const nameless = await upload(company.client, contractId, samples.jpeg(), '');
    expect(nameless.statusCode, nameless.body).toBe(201);
    expect(nameless.json().filename).toBe('document.jpg');
  });

  it("lists a contract's documents in upload order, a page at a time", async () => {
    const fresh = await createContract(company.client, { title: 'Paged' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await upload(company.client, fresh, samples.pdf(`page ${i}`), `p${i}.pdf`)).json().id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await company.client.get(`/api/v1/contracts/${fresh}/documents?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      seen.push(...response.json().items.map((item: { id: string }) => item.id));
      cursor = response.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const forged = Buffer.from(JSON.stringify(['not a time', ids[0]])).toString('base64url');
    expect((await company.client.get(`/api/v1/contracts/${fresh}/documents?cursor=${forged}`)).statusCode).toBe(400);
    expect((await company.client.get(`/api/v1/contracts/${fresh}/documents?limit=501`)).statusCode).toBe(400);
  });

  it('answers 404 for unknown contracts and documents, 400 for ids that are no UUIDs', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await company.client.get(`/api/v1/contracts/${unknown}/documents`)).statusCode).toBe(404);
    expect((await upload(company.client, unknown, samples.pdf())).statusCode).toBe(404);
    expect((await company.client.get(`/api/v1/documents/${unknown}`)).statusCode).toBe(404);
    expect((await company.client.get('/api/v1/documents/not-a-uuid')).statusCode).toBe(400);
  });

  it('takes no new documents for an archived contract, and keeps serving the ones it has', async () => {
    const archived = await createContract(company.client);
    const kept = await upload(company.client, archived, samples.pdf('signed before archiving'));
    expect(kept.statusCode, kept.body).toBe(201);
    expect((await company.client.request({ method: 'DELETE', url: `/api/v1/contracts/${archived}` })).statusCode).toBe(204);
    const blobsBefore = readdirSync(join(t.config.dataDir, 'documents', company.tenantId)).length;

    const refused = await upload(company.client, archived, samples.pdf('after archiving'));
    expect(refused.statusCode, refused.body).toBe(404);
    expect(refused.json().code).toBe('not_found');
    expect(readdirSync(join(t.config.dataDir, 'documents', company.tenantId)).length).toBe(blobsBefore);
    expect((await company.client.get(`/api/v1/contracts/${archived}/documents`)).json().items.map((d: { id: string }) => d.id)).toEqual([
      kept.json().id,
    ]);
    expect((await company.client.get(`/api/v1/documents/${kept.json().id}`)).statusCode).toBe(200);
  });
});

describe(`documents: encryption at rest and integrity (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let contractId: string;
  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
    contractId = await createContract(company.client);
  });
  afterAll(() => t.close());

  const uploadMarked = async (marker: string) => {
    const response = await upload(company.client, contractId, samples.pdf(marker));
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; sha256: string };
  };

  it('keeps no plaintext on disk, and the same file encrypts differently each time', async () => {
    const marker = `MARKER-${randomBytes(8).toString('hex')}`;
    const first = await uploadMarked(marker);
    const second = await uploadMarked(marker);
    expect(first.sha256).toBe(second.sha256);

    const a = readFileSync(blobPath(t, company.tenantId, first.id));
    const b = readFileSync(blobPath(t, company.tenantId, second.id));
    for (const blob of [a, b]) {
      expect(blob.includes(Buffer.from(marker))).toBe(false);
      expect(blob.includes(Buffer.from('%PDF-'))).toBe(false);
      expect(blob.subarray(0, 5).toString('latin1')).toBe('PDOC\x02');
    }
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(sealedSize(samples.pdf(marker).length));
    const [row] = await t.db.asOwner<{ storage_key: string }>('SELECT storage_key FROM documents WHERE id = $1', [first.id]);
    expect(row!.storage_key).toBe(`${company.tenantId}/${first.id}`);
  });

  it('keeps only a 60-byte wrapped key per tenant, each tenant with its own data key', async () => {
    const rows = await t.db.asOwner<{ version: number; wrapped_key: Uint8Array }>(
      'SELECT version, wrapped_key FROM tenant_keys WHERE tenant_id = $1',
      [company.tenantId],
    );
    expect(rows).toHaveLength(1);
    const wrapped = Buffer.from(rows[0]!.wrapped_key);
    expect(wrapped).toHaveLength(60);

    const other = await registerCompany(t);
    const otherContract = await createContract(other.client);
    expect((await upload(other.client, otherContract, samples.pdf())).statusCode).toBe(201);
    const mine = await tenantDataKey(t, company);
    const theirs = await tenantDataKey(t, other);
    expect(mine).toHaveLength(32);
    expect(mine.equals(theirs)).toBe(false);
    expect(wrapped.includes(mine.subarray(0, 8))).toBe(false);
    expect(mine.equals(t.config.masterKey)).toBe(false);
    expect(mine.equals(deriveKey(t.config.masterKey, 'tenant-key-wrap'))).toBe(false);
    // Without this deployment's master key the stored key is useless.
    expect(() => unwrapTenantKey(deriveKey(randomBytes(32), 'tenant-key-wrap'), company.tenantId, rows[0]!.version, wrapped)).toThrow(
      /does not unwrap/,
    );
  });

  it('refuses a blob with one byte flipped on disk, serves nothing and logs why', async () => {
    const marker = `FLIP-${randomBytes(6).toString('hex')}`;
    const document = await uploadMarked(marker);
    const path = blobPath(t, company.tenantId, document.id);
    const blob = readFileSync(path);
    blob[40]! ^= 0x01;
    writeFileSync(path, blob);
    const logsBefore = t.logs.length;

    const response = await company.client.get(`/api/v1/documents/${document.id}`);
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().code).toBe('document_integrity_failed');
    expect(response.body).not.toContain(marker);
    expect(response.headers['content-disposition']).toBeUndefined();

    const logged = t.logs.slice(logsBefore).join('');
    expect(logged).toContain('document integrity check failed');
    expect(logged).toContain('authentication_failed');
    expect(logged).toContain(document.id);
    const dataKey = await tenantDataKey(t, company);
    for (const secret of [dataKey, t.config.masterKey]) {
      expect(logged).not.toContain(secret.toString('hex'));
      expect(logged).not.toContain(secret.toString('base64'));
    }
    expect(logged).not.toContain(marker);
  });

  it('refuses a document whose recorded SHA-256 was changed', async () => {
    const document = await uploadMarked('sha-column');
    await t.db.asOwner('UPDATE documents SET sha256 = $1 WHERE id = $2', [
      createHash('sha256').update('something else').digest(),
      document.id,
    ]);
    const response = await company.client.get(`/api/v1/documents/${document.id}`);
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('document_integrity_failed');
    expect(response.body).not.toContain('sha-column');
  });

  it('refuses a blob swapped in from another document of the same tenant', async () => {
    const a = await uploadMarked('swap-a');
    const b = await uploadMarked('swap-b');
    writeFileSync(blobPath(t, company.tenantId, a.id), readFileSync(blobPath(t, company.tenantId, b.id)));
    const response = await company.client.get(`/api/v1/documents/${a.id}`);
    expect(response.json().code).toBe('document_integrity_failed');
    expect(response.body).not.toContain('swap-b');
  });

  it('refuses an empty, truncated or missing blob, and a row pointing at another blob', async () => {
    const truncated = await uploadMarked('truncated');
    const path = blobPath(t, company.tenantId, truncated.id);
    writeFileSync(path, readFileSync(path).subarray(0, 20));
    expect((await company.client.get(`/api/v1/documents/${truncated.id}`)).json().code).toBe('document_integrity_failed');

    const missing = await uploadMarked('missing');
    writeFileSync(blobPath(t, company.tenantId, missing.id), '');
    expect((await company.client.get(`/api/v1/documents/${missing.id}`)).json().code).toBe('document_integrity_failed');
    unlinkSync(blobPath(t, company.tenantId, missing.id));
    expect((await company.client.get(`/api/v1/documents/${missing.id}`)).json().code).toBe('document_integrity_failed');

    const redirected = await uploadMarked('redirected');
    await t.db.asOwner('UPDATE documents SET storage_key = $1 WHERE id = $2', [`${company.tenantId}/${truncated.id}`, redirected.id]);
    expect((await company.client.get(`/api/v1/documents/${redirected.id}`)).json().code).toBe('document_integrity_failed');
  });
});
