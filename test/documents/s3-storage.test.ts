import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../../src/documents/s3-storage.js';
import { BlobNotFoundError, BlobTooLargeError, storageKey } from '../../src/documents/storage.js';
import { startFakeS3, type FakeS3 } from '../fakes/fake-s3.js';

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
    await storage().put(key, pieces);

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

    expect(sha256(await storage().get(key, 100_000))).toBe(sha256(sent));
  });

  it('reports a missing object as not found and deletes idempotently', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await expect(storage().get(key, 100)).rejects.toBeInstanceOf(BlobNotFoundError);
    await storage().put(key, Buffer.from('x'));
    await storage().delete(key);
    expect(s3.objects.has(`pactum-docs/tenants/${key}`)).toBe(false);
    await expect(storage().delete(key)).resolves.toBeUndefined();
  });

  it('refuses to read an object larger than any document', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await storage().put(key, randomBytes(200));
    await expect(storage().get(key, 100)).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it('validates keys before anything goes over the network', async () => {
    const before = s3.requests.length;
    await expect(storage().put('../other-bucket/x', Buffer.from('x'))).rejects.toThrow(/invalid document storage key/);
    await expect(storage().get(`${randomUUID()}/../x`, 10)).rejects.toThrow(/invalid document storage key/);
    expect(s3.requests.length).toBe(before);
  });

  it('surfaces a server failure as an error, not as an empty document', async () => {
    const key = storageKey(randomUUID(), randomUUID());
    await storage().put(key, Buffer.from('x'));
    for (let i = 0; i < 3; i += 1) s3.failNext(500);
    await expect(storage().get(key, 100)).rejects.toThrow();
  });
});
