import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../../src/documents/multipart-upload.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { createContract, multipartBody, samples, streamedForm } from './helpers.js';

const PDF_HEAD = Buffer.from('%PDF-1.7\n');

describe(`documents: the 25 MiB limit (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let contractId: string;
  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
    contractId = await createContract(company.client);
  });
  afterAll(() => t.close());

  const documentCount = async () => (await t.db.asOwner<{ n: number }>('SELECT count(*)::int AS n FROM documents'))[0]!.n;
  const blobCount = () => {
    const dir = join(t.config.dataDir, 'documents', company.tenantId);
    return existsSync(dir) ? readdirSync(dir).length : 0;
  };
  const post = (form: ReturnType<typeof streamedForm>, headers: Record<string, string> = {}) =>
    company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${contractId}/documents`,
      payload: form.stream(),
      headers: { 'content-type': form.contentType, ...headers },
    });

  it('accepts a document of exactly 26,214,400 bytes and gives it back intact', async () => {
    expect(MAX_DOCUMENT_BYTES).toBe(26_214_400);
    const form = streamedForm(MAX_DOCUMENT_BYTES, PDF_HEAD);
    const hash = createHash('sha256');
    for (const piece of form.file()) hash.update(piece);
    const expected = hash.digest('hex');

    const uploaded = await post(form, { 'content-length': String(form.length) });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json()).toMatchObject({ size: MAX_DOCUMENT_BYTES, sha256: expected, contentType: 'application/pdf' });

    const download = await company.client.get(`/api/v1/documents/${uploaded.json().id}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.length).toBe(MAX_DOCUMENT_BYTES);
    expect(createHash('sha256').update(download.rawPayload).digest('hex')).toBe(expected);
  });

  it('refuses one byte more with 413, keeping neither row nor blob (no Content-Length: the multipart limit)', async () => {
    const [documents, blobs] = [await documentCount(), blobCount()];
    const response = await post(streamedForm(MAX_DOCUMENT_BYTES + 1, PDF_HEAD));
    expect(response.statusCode, response.body).toBe(413);
    expect(response.json().code).toBe('payload_too_large');
    expect(await documentCount()).toBe(documents);
    expect(blobCount()).toBe(blobs);
  });

  it('refuses a declared body far over the limit before reading it', async () => {
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          pulled += 65_536;
          yield Buffer.alloc(65_536, 0x41);
          if (pulled > 64 * 1024 * 1024) return;
        }
      })(),
    );
    const response = await company.client.request({
      method: 'POST',
      url: `/api/v1/contracts/${contractId}/documents`,
      payload: endless,
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(200 * 1024 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('payload_too_large');
    expect(pulled).toBeLessThan(4 * 1024 * 1024);
  });

  it('over a real socket, answers a refusal at once and closes instead of reading the rest', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const send = (body: Buffer | Readable, contentType: string) =>
      new Promise<{ status: number; connection: string | undefined; code: string | undefined }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `/api/v1/contracts/${contractId}/documents`,
            headers: { 'content-type': contentType, cookie: `pactum_session=${company.client.cookie}`, origin: 'http://localhost:3000' },
          },
          (res) => {
            let data = '';
            res.on('data', (chunk) => (data += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode!, connection: res.headers.connection, code: data ? JSON.parse(data).code : undefined }),
            );
          },
        );
        req.on('error', reject);
        if (Buffer.isBuffer(body)) req.end(body);
        else body.pipe(req);
      });

    // 20 MB that start like an executable: refused on the first bytes, the rest never read.
    const executable = streamedForm(20 * 1024 * 1024, Buffer.from('MZ'));
    expect(await send(executable.stream(), executable.contentType)).toEqual({
      status: 415,
      connection: 'close',
      code: 'unsupported_media_type',
    });
    const oversized = streamedForm(MAX_DOCUMENT_BYTES + 1024 * 1024, PDF_HEAD);
    expect(await send(oversized.stream(), oversized.contentType)).toEqual({ status: 413, connection: 'close', code: 'payload_too_large' });
    // …and the server carries on.
    const form = multipartBody([{ name: 'file', filename: 'after.pdf', data: samples.pdf() }]);
    expect(await send(form.body, form.contentType)).toMatchObject({ status: 201, connection: 'keep-alive' });
  });
});
