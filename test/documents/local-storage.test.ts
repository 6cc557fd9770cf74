import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalStorage } from '../../src/documents/local-storage.js';
import { BlobNotFoundError, BlobTooLargeError, storageKey } from '../../src/documents/storage.js';
import { blobChunks, pieces, readAll } from './helpers.js';

const dirs: string[] = [];
function root() {
  const dir = join(mkdtempSync(join(tmpdir(), 'pactum-docs-')), 'documents');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('local document storage', () => {
  it('stores a blob at <dir>/<tenant>/<document>, directories 0700 and files 0600', async () => {
    const dir = root();
    const storage = createLocalStorage(dir);
    const tenantId = randomUUID();
    const documentId = randomUUID();
    const key = storageKey(tenantId, documentId);
    await storage.put(key, pieces(Buffer.from('first '), Buffer.from('second')));

    const file = join(dir, tenantId, documentId);
    expect(readFileSync(file, 'utf8')).toBe('first second');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, tenantId)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, tenantId))).toEqual([documentId]);
    const stored = await storage.get(key, 100);
    expect(stored.size).toBe(12);
    expect(await readAll(blobChunks(stored, 5))).toEqual(Buffer.from('first second'));
  });

  it('deletes, and treats a missing blob as gone', async () => {
    const storage = createLocalStorage(root());
    const key = storageKey(randomUUID(), randomUUID());
    await storage.put(key, pieces(randomBytes(10)));
    await storage.delete(key);
    await expect(storage.get(key, 100)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(storage.delete(key)).resolves.toBeUndefined();
  });

  it('refuses to read a blob larger than any document', async () => {
    const storage = createLocalStorage(root());
    const key = storageKey(randomUUID(), randomUUID());
    await storage.put(key, pieces(randomBytes(101)));
    await expect(storage.get(key, 100)).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it("leaves no temporary file when the source fails mid-write, and rejects with the source's error", async () => {
    const dir = root();
    const storage = createLocalStorage(dir);
    const tenantId = randomUUID();
    const key = storageKey(tenantId, randomUUID());
    async function* failing() {
      yield randomBytes(100_000);
      throw new Error('the client went away');
    }
    await expect(storage.put(key, failing())).rejects.toThrow('the client went away');
    expect(readdirSync(join(dir, tenantId))).toEqual([]);
  });

  it('lists blobs and leftover temporary files, and deletes a leftover by the name it listed', async () => {
    const dir = root();
    const storage = createLocalStorage(dir);
    const tenantId = randomUUID();
    const key = storageKey(tenantId, randomUUID());
    await storage.put(key, pieces(randomBytes(10)));
    writeFileSync(join(dir, tenantId, '.upload-0123456789abcdef.tmp'), 'partial');
    writeFileSync(join(dir, tenantId, 'notes.txt'), 'not ours to judge');
    const entries = [];
    for await (const entry of storage.list()) entries.push(entry);
    expect(entries.map((entry) => (entry.kind === 'blob' ? `blob ${entry.key}` : `leftover ${entry.name}`)).sort()).toEqual(
      [`blob ${key}`, `leftover ${tenantId}/.upload-0123456789abcdef.tmp`].sort(),
    );
    await storage.deleteLeftover(`${tenantId}/.upload-0123456789abcdef.tmp`);
    expect(readdirSync(join(dir, tenantId)).sort()).toEqual([key.split('/')[1], 'notes.txt'].sort());
    await expect(storage.deleteLeftover(`${tenantId}/notes.txt`)).rejects.toThrow(/invalid leftover/);
    await expect(storage.deleteLeftover(`../${tenantId}/.upload-0123456789abcdef.tmp`)).rejects.toThrow(/invalid leftover/);
  });

  it.each([
    '../../etc/passwd',
    `${randomUUID()}/../../x`,
    `/${randomUUID()}/${randomUUID()}`,
    `${randomUUID()}/${randomUUID()}/extra`,
    `${randomUUID()}\\${randomUUID()}`,
    `${randomUUID().toUpperCase()}/${randomUUID()}`,
    `${randomUUID()}/..`,
    `${randomUUID()}/${randomUUID()}\u0000`,
    '',
  ])('refuses the key %j for every operation', async (key) => {
    const dir = root();
    const storage = createLocalStorage(dir);
    await expect(storage.put(key, pieces(Buffer.from('x')))).rejects.toThrow(/invalid document storage key/);
    await expect(storage.get(key, 100)).rejects.toThrow(/invalid document storage key/);
    await expect(storage.delete(key)).rejects.toThrow(/invalid document storage key/);
    expect(existsSync(dir)).toBe(false);
  });
});
