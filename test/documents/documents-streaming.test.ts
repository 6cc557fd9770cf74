import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEGMENT_SIZE } from '../../src/documents/document-cipher.js';
import { createLocalStorage } from '../../src/documents/local-storage.js';
import type { DocumentStorage } from '../../src/documents/storage.js';
import { addMember } from '../helpers/members.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { blobPath, createContract, sealVersion1, streamedForm, tenantDataKey, upload } from './helpers.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const BIG = 25 * 1024 * 1024;

/** Streams a 25 MiB PDF up as multipart, never holding it whole; answers the upload's 201 response. */
async function uploadBig(client: Registered['client'], contractId: string) {
  const form = streamedForm(BIG, Buffer.from('%PDF-1.7\n'));
  const uploaded = await client.request({
    method: 'POST',
    url: `/api/v1/contracts/${contractId}/documents`,
    payload: form.stream(),
    headers: { 'content-type': form.contentType },
  });
  expect(uploaded.statusCode, uploaded.body).toBe(201);
  return uploaded;
}

/** Local storage that counts how many blob bytes downloads have pulled from it, and can fail after a put. */
function observedStorage(dir: () => string) {
  let inner: DocumentStorage | null = null;
  const local = () => (inner ??= createLocalStorage(dir()));
  const observed = { pulled: 0, failAfterPut: false };
  const storage: DocumentStorage = {
    async put(key, source) {
      await local().put(key, source);
      if (observed.failAfterPut) throw new Error('injected: the write failed after the blob was stored');
    },
    async get(key, maxBytes) {
      const blob = await local().get(key, maxBytes);
      return {
        ...blob,
        async read(target) {
          const read = await blob.read(target);
          observed.pulled += read;
          return read;
        },
      };
    },
    delete: (key) => local().delete(key),
    list: () => local().list(),
    deleteLeftover: (name) => local().deleteLeftover(name),
  };
  return { storage, observed };
}

interface OpenDownload {
  response: IncomingMessage;
  /** Resolves with the bytes received and whether the response ended normally ('end') or broke off. */
  finished: Promise<{ body: Buffer; complete: boolean }>;
}

describe(`documents: streamed downloads (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let contractId: string;
  let port: number;
  let bigId: string;
  let bigSha: string;
  let dataDir = '';
  const { storage, observed } = observedStorage(() => join(dataDir, 'documents'));

  beforeAll(async () => {
    t = await startTestApp({ PACTUM_DOCUMENT_DOWNLOADS_PER_NODE: '6' }, undefined, { documentStorage: storage });
    dataDir = t.config.dataDir;
    company = await registerCompany(t);
    contractId = await createContract(company.client);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    const uploaded = await uploadBig(company.client, contractId);
    bigId = uploaded.json().id;
    bigSha = uploaded.json().sha256;
    // A 25 MiB upload on top of a fresh database: on two shared cores under load this can outlast the
    // default 60 s hook timeout (it takes a few seconds on a quiet machine).
  }, 180_000);
  afterAll(() => t.close());

  /** A GET over a real socket that reads nothing until told to (`response.resume()`). */
  function openDownload(id: string, cookie: string | undefined): Promise<OpenDownload> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/api/v1/documents/${id}`, headers: { cookie: `pactum_session=${cookie}` } },
        (response) => {
          response.pause();
          const chunks: Buffer[] = [];
          const finished = new Promise<{ body: Buffer; complete: boolean }>((done) => {
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => done({ body: Buffer.concat(chunks), complete: response.complete }));
            response.on('error', () => done({ body: Buffer.concat(chunks), complete: false }));
            response.on('close', () => done({ body: Buffer.concat(chunks), complete: response.complete }));
          });
          resolve({ response, finished });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Waits until `read()` has not changed for `quietPolls` polls in a row: the pipeline has settled. */
  async function settled(read: () => number, quietPolls = 5): Promise<number> {
    let last = -1;
    let quiet = 0;
    while (quiet < quietPolls) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = read();
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
    return last;
  }

  it('reads from storage only as fast as the client reads: a paused reader pins a bounded amount, then gets it all intact', async () => {
    observed.pulled = 0;
    const download = await openDownload(bigId, company.client.cookie);
    expect(download.response.statusCode).toBe(200);
    expect(download.response.headers['content-length']).toBe(String(BIG));
    expect(download.response.headers['content-security-policy']).toBe('sandbox');
    // The client reads nothing: backpressure must stop the server well short of the whole blob (what is
    // pulled sits in the kernel's socket buffers, the download's read buffer and a few 64 KiB stream buffers).
    const pinned = await settled(() => observed.pulled);
    expect(pinned).toBeGreaterThan(0);
    expect(pinned).toBeLessThan(BIG / 2);

    download.response.resume();
    const { body, complete } = await download.finished;
    expect(complete).toBe(true);
    expect(body.length).toBe(BIG);
    expect(sha256(body)).toBe(bigSha);
  });

  it('allows 4 downloads at once per user; the 5th gets 429 with Retry-After until one ends', async () => {
    const running = await Promise.all([1, 2, 3, 4].map(() => openDownload(bigId, company.client.cookie)));
    for (const download of running) expect(download.response.statusCode).toBe(200);

    const refused = await company.client.get(`/api/v1/documents/${bigId}`);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    running[0]!.response.destroy();
    await running[0]!.finished;
    await settled(() => 0, 2);
    const next = await openDownload(bigId, company.client.cookie);
    expect(next.response.statusCode).toBe(200);
    for (const download of [...running.slice(1), next]) download.response.destroy();
    await Promise.all([...running.slice(1), next].map((download) => download.finished));
  });

  it('limits downloads per node across users (PACTUM_DOCUMENT_DOWNLOADS_PER_NODE=6)', async () => {
    const memberClient = (await addMember(t, company)).client;
    await settled(() => 0, 2);
    const mine = await Promise.all([1, 2, 3, 4].map(() => openDownload(bigId, company.client.cookie)));
    const theirs = await Promise.all([1, 2].map(() => openDownload(bigId, memberClient.cookie)));
    for (const download of [...mine, ...theirs]) expect(download.response.statusCode).toBe(200);
    const refused = await memberClient.get(`/api/v1/documents/${bigId}`);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe('rate_limited');
    for (const download of [...mine, ...theirs]) download.response.destroy();
    await Promise.all([...mine, ...theirs].map((download) => download.finished));
  });

  it('aborts the response when a segment in the middle fails: the client never gets a complete-looking file', async () => {
    // Long enough that the failing segment lies beyond the first read (a few segments), which is verified before the headers go out.
    const plaintext = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(12 * SEGMENT_SIZE)]);
    const uploaded = await upload(company.client, contractId, plaintext);
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const id = uploaded.json().id;
    const path = blobPath(t, company.tenantId, id);
    const blob = readFileSync(path);
    blob[21 + 10 * (SEGMENT_SIZE + 16) + 100]! ^= 0x01;
    writeFileSync(path, blob);
    const logsBefore = t.logs.length;

    await settled(() => 0, 2);
    const download = await openDownload(id, company.client.cookie);
    // The first segments were verified, so the answer had begun: 200 and the full length announced.
    expect(download.response.statusCode).toBe(200);
    download.response.resume();
    const { body, complete } = await download.finished;
    expect(complete).toBe(false);
    expect(body.length).toBeLessThanOrEqual(10 * SEGMENT_SIZE);
    expect(body.equals(plaintext.subarray(0, body.length))).toBe(true);
    const logged = t.logs.slice(logsBefore).join('');
    expect(logged).toContain('document integrity check failed');
    expect(logged).toContain('authentication_failed');
  });

  it('still serves a document stored in the old whole-file format', async () => {
    const plaintext = Buffer.concat([Buffer.from('%PDF-1.7 stored before segmenting\n'), randomBytes(150_000)]);
    const uploaded = await upload(company.client, contractId, plaintext);
    const id = uploaded.json().id;
    writeFileSync(blobPath(t, company.tenantId, id), sealVersion1(plaintext, await tenantDataKey(t, company), company.tenantId, id));
    const download = await company.client.get(`/api/v1/documents/${id}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(plaintext)).toBe(true);

    const blob = readFileSync(blobPath(t, company.tenantId, id));
    blob[1000]! ^= 0x01;
    writeFileSync(blobPath(t, company.tenantId, id), blob);
    const refused = await company.client.get(`/api/v1/documents/${id}`);
    expect(refused.statusCode).toBe(500);
    expect(refused.json().code).toBe('document_integrity_failed');
  });

  it('deletes the blob when the storage write fails after storing it', async () => {
    const tenantDir = join(t.config.dataDir, 'documents', company.tenantId);
    const before = readdirSync(tenantDir).sort();
    observed.failAfterPut = true;
    try {
      const response = await upload(company.client, contractId, Buffer.from('%PDF-1.7 half-stored'));
      expect(response.statusCode).toBe(500);
    } finally {
      observed.failAfterPut = false;
    }
    expect(readdirSync(tenantDir).sort()).toEqual(before);
  });
});

describe(`documents: download deadline (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  let id: string;
  let smallId: string;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_DOCUMENT_DOWNLOAD_TIMEOUT_SECONDS: '1', PACTUM_DOCUMENT_DOWNLOADS_PER_USER: '1' });
    company = await registerCompany(t);
    const contractId = await createContract(company.client);
    smallId = (await upload(company.client, contractId, Buffer.from('%PDF-1.7 small enough to fetch within the deadline'))).json().id;
    const uploaded = await uploadBig(company.client, contractId);
    id = uploaded.json().id;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(() => t.close());

  it('cuts off a reader that has not finished within PACTUM_DOCUMENT_DOWNLOAD_TIMEOUT_SECONDS, and frees its slot', async () => {
    const port = (t.app.server.address() as AddressInfo).port;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/api/v1/documents/${id}`, headers: { cookie: `pactum_session=${company.client.cookie}` } },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    // A paused reader: it sees the server hang up only once it reads again.
    response.pause();
    expect(response.statusCode).toBe(200);
    while (!t.logs.join('').includes('document download too slow')) await new Promise((resolve) => setTimeout(resolve, 100));
    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    const complete = await new Promise<boolean>((resolve) => {
      response.on('error', () => resolve(false));
      response.on('close', () => resolve(response.complete));
      response.resume();
    });
    expect(complete).toBe(false);
    expect(received).toBeLessThan(BIG);
    // The slot (1 per user here) came back with the closed connection.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await company.client.get(`/api/v1/documents/${smallId}`);
    expect(again.statusCode).toBe(200);
  });
});
