import { createCipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { deriveKey } from '../../src/identity/keys.js';
import { documentAad } from '../../src/documents/document-cipher.js';
import type { StoredBlob } from '../../src/documents/storage.js';
import { unwrapTenantKey } from '../../src/documents/tenant-keys.js';
import type { Client, Registered, TestApp } from '../helpers/test-app.js';

/** Smallest files with the right magic bytes, carrying a marker to look for on disk. */
export const samples = {
  pdf: (marker = 'plain') =>
    Buffer.from(`%PDF-1.7\n% ${marker}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1'),
  png: (marker = 'plain') =>
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`\0\0\0\rIHDR ${marker}`, 'latin1')]),
  jpeg: (marker = 'plain') =>
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`\0\x10JFIF\0 ${marker}`, 'latin1'), Buffer.from([0xff, 0xd9])]),
};

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body as a browser would send it (raw UTF-8 in the filename parameter). */
export function multipartBody(parts: FormPart[]): { body: Buffer; contentType: string } {
  const boundary = `----pactumtest${randomBytes(8).toString('hex')}`;
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const headers = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''}\r\n`;
    pieces.push(Buffer.from(headers, 'utf8'), Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function uploadForm(client: Client, contractId: string, parts: FormPart[], headers: Record<string, string> = {}) {
  const { body, contentType } = multipartBody(parts);
  return client.request({
    method: 'POST',
    url: `/api/v1/contracts/${contractId}/documents`,
    payload: body,
    headers: { 'content-type': contentType, ...headers },
  });
}

export function upload(client: Client, contractId: string, bytes: Buffer, filename = 'contract.pdf', contentType = 'application/pdf') {
  return uploadForm(client, contractId, [{ name: 'file', filename, contentType, data: bytes }]);
}

/**
 * A form whose file is `size` bytes starting with `head`, generated as it is read: a 25 MiB upload
 * without holding 25 MiB in the test. `fill(offset)` gives the byte at each position after the head.
 */
export function streamedForm(size: number, head: Buffer) {
  const boundary = `----pactumstream${randomBytes(8).toString('hex')}`;
  const prologue = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = 256 * 1024;
  function* pieces() {
    yield prologue;
    for (let offset = 0; offset < size; offset += chunk) yield fileSlice(offset, Math.min(chunk, size - offset));
    yield epilogue;
  }
  function fileSlice(offset: number, length: number) {
    const piece = Buffer.alloc(length, 0x41);
    if (offset < head.length) head.copy(piece, 0, offset, Math.min(head.length, offset + length));
    return piece;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: prologue.length + size + epilogue.length,
    stream: () => Readable.from(pieces()),
    /** The file itself, piece by piece, for hashing on the test side. */
    file: function* () {
      for (let offset = 0; offset < size; offset += chunk) yield fileSlice(offset, Math.min(chunk, size - offset));
    },
  };
}

/**
 * A contract of the company, created through the public API (vendor first). Restricted to access groups
 * when groupIds are given; the caller must then be in one of them.
 */
export async function createContract(client: Client, options: { groupIds?: string[]; title?: string } = {}): Promise<string> {
  const vendor = await client.post('/api/v1/vendors', { name: `Vendor ${randomBytes(4).toString('hex')}` });
  expect(vendor.statusCode, vendor.body).toBe(201);
  const contract = await client.post('/api/v1/contracts', {
    vendorId: vendor.json().id,
    title: options.title ?? 'Office suite 2025',
    startsOn: '2025-01-01',
    endsOn: '2025-12-31',
    currency: 'EUR',
    ...(options.groupIds ? { groupIds: options.groupIds } : {}),
  });
  expect(contract.statusCode, contract.body).toBe(201);
  return contract.json().id;
}

/** Where the local storage keeps a document's blob. */
export function blobPath(t: TestApp, tenantId: string, documentId: string): string {
  return join(t.config.dataDir, 'documents', tenantId, documentId);
}

/** The tenant's data key, unwrapped the way the app does it (only possible with the master key). */
export async function tenantDataKey(t: TestApp, company: Pick<Registered, 'tenantId'>): Promise<Buffer> {
  const [row] = await t.db.asOwner<{ version: number; wrapped_key: Uint8Array }>(
    'SELECT version, wrapped_key FROM tenant_keys WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1',
    [company.tenantId],
  );
  expect(row).toBeDefined();
  return unwrapTenantKey(deriveKey(t.config.masterKey, 'tenant-key-wrap'), company.tenantId, row!.version, row!.wrapped_key);
}

/** Buffers as the async stream of pieces storage.put() takes. */
export async function* pieces(...buffers: Buffer[]): AsyncGenerator<Buffer> {
  for (const buffer of buffers) yield buffer;
}

export async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A blob in the version 1 format, the one written before segmenting (built here from its documented
 * layout, since the app no longer writes it): "PDOC" 0x01 | IV | AES-256-GCM ciphertext | tag.
 */
export function sealVersion1(plaintext: Buffer, key: Buffer, tenantId: string, documentId: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(documentAad(tenantId, documentId));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from('PDOC\x01', 'latin1'), iv, ciphertext, cipher.getAuthTag()]);
}

/** Every byte of a blob as a sequence of Buffers, then closes it. */
export async function* blobChunks(blob: StoredBlob, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const length = await blob.read(chunk);
      if (length === 0) return;
      yield chunk.subarray(0, length);
    }
  } finally {
    await blob.close();
  }
}
