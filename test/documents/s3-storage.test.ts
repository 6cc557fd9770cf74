import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../../src/documents/s3-storage.js';
import { BlobNotFoundError, BlobTooLargeError, storageKey } from '../../src/documents/storage.js';
import { startFakeS3, type FakeS3 } from '../fakes/fake-s3.js';
import { blobChunks, pieces as piecesOf, readAll } from './helpers.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3 document storage (fake S3 server)', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await startFakeS3();
  });
  afterAll(() => s3.close());

  const storage = () =>
    createS3Storage({
      kind: 's3',
      bucket: 'pactum-docs',
      endpoint: s3.url,
      region: 'eu-central-2',
      credentials: { accessKeyId: 'AKIATESTTESTTEST', secretAccessKey: 'fake-s3-secret-key' },
      prefix: 'tenants/',
    });

  it('stores exactly the bytes it was given, under the prefix, path-style and SigV4-signed', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    const pieces = [randomBytes(3000), randomBytes(70_000), randomBytes(1)];
    await storage().put(key, piecesOf(...pieces));

    const sent = Buffer.concat(pieces);
    const stored = s3.objects.get(`pactum-docs/tenants/${key}`);
    expect(stored).toBeDefined();
    // No aws-chunked framing: what arrived is byte for byte what the client sent.
    expect(stored!.sha256).toBe(sha256(sent));
    expect(stored!.bytes.length).toBe(sent.length);
    const put = s3.requests.find((request) => request.method === 'PUT' && request.key === `tenants/${key}`)!;
    expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIATESTTESTTEST\//);
    expect(put.headers['content-encoding'] ?? '').not.toContain('aws-chunked');
    expect(put.headers['content-length']).toBe(String(sent.length));

    expect(sha256(await readAll(blobChunks(await storage().get(key, 100_000))))).toBe(sha256(sent));
  });

  it('streams a blob larger than one part up as a multipart upload, byte-exact, one part in memory at a time', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    const blob = randomBytes(12 * 1024 * 1024 + 123);
    const before = s3.requests.length;
    await storage().put(
      key,
      piecesOf(...Array.from({ length: Math.ceil(blob.length / 65_536) }, (_, i) => blob.subarray(i * 65_536, (i + 1) * 65_536))),
    );
    const stored = s3.objects.get(`pactum-docs/tenants/${key}`);
    expect(stored!.sha256).toBe(sha256(blob));
    const parts = s3.requests.slice(before).filter((request) => request.method === 'PUT');
    expect(parts).toHaveLength(3);
    expect(s3.multipartUploads.size).toBe(0);
    const got = await storage().get(key, blob.length);
    expect(got.size).toBe(blob.length);
    expect(sha256(await readAll(blobChunks(got)))).toBe(sha256(blob));
  });

  it('aborts the multipart upload when the source fails, leaving no object and no parts', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    async function* failing() {
      for (let i = 0; i < 100; i += 1) yield randomBytes(65_536);
      throw new Error('the client went away');
    }
    await expect(storage().put(key, failing())).rejects.toThrow('the client went away');
    expect(s3.objects.has(`pactum-docs/tenants/${key}`)).toBe(false);
    expect(s3.multipartUploads.size).toBe(0);
  });

  it('lists the blobs under its prefix, page by page, ignoring anything else', async () => {
    const keys = [storageKey(randomUUID(), randomUUID()), storageKey(randomUUID(), randomUUID())];
    for (const key of keys) await storage().put(key, piecesOf(Buffer.from('x')));
    s3.objects.set('pactum-docs/tenants/not-a-document', {
      bytes: Buffer.from('x'),
      sha256: '',
      contentType: undefined,
      lastModified: new Date(),
    });
    s3.objects.set(`pactum-docs/elsewhere/${keys[0]}`, {
      bytes: Buffer.from('x'),
      sha256: '',
      contentType: undefined,
      lastModified: new Date(),
    });
    const listed: string[] = [];
    for await (const entry of storage().list()) if (entry.kind === 'blob') listed.push(entry.key);
    for (const key of keys) expect(listed).toContain(key);
    expect(listed.every((key) => /^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(key))).toBe(true);
  });

  it('reports a missing object as not found and deletes idempotently', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await expect(storage().get(key, 100)).rejects.toBeInstanceOf(BlobNotFoundError);
    await storage().put(key, piecesOf(Buffer.from('x')));
    await storage().delete(key);
    expect(s3.objects.has(`pactum-docs/tenants/${key}`)).toBe(false);
    await expect(storage().delete(key)).resolves.toBeUndefined();
  });

  it('refuses to read an object larger than any document', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await storage().put(key, piecesOf(randomBytes(200)));
    await expect(storage().get(key, 100)).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it('validates keys before anything goes over the network', async () => {
    const before = s3.requests.length;
    await expect(storage().put('../other-bucket/x', piecesOf(Buffer.from('x')))).rejects.toThrow(/invalid document storage key/);
    await expect(storage().get(`${randomUUID()}/../x`, 10)).rejects.toThrow(/invalid document storage key/);
    expect(s3.requests.length).toBe(before);
  });

  it('surfaces a server failure as an error, not as an empty document', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await storage().put(key, piecesOf(Buffer.from('x')));
    for (let i = 0; i < 3; i += 1) s3.failNext(500);
    await expect(storage().get(key, 100)).rejects.toThrow();
  });
});
