import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOB_OVERHEAD, createBlobSealer, documentAad, openBlob } from '../../src/documents/document-cipher.js';
import { unwrapTenantKey, wrapTenantKey, WRAPPED_KEY_LENGTH } from '../../src/documents/tenant-keys.js';

function seal(plaintext: Buffer, key: Buffer, aad: Buffer, pieceSize = 7): Buffer {
  const sealer = createBlobSealer(key, aad);
  for (let offset = 0; offset < plaintext.length; offset += pieceSize) sealer.update(plaintext.subarray(offset, offset + pieceSize));
  return Buffer.concat(sealer.finish());
}

describe('document blob format', () => {
  const key = randomBytes(32);
  const tenantId = randomUUID();
  const documentId = randomUUID();
  const aad = documentAad(tenantId, documentId);
  const plaintext = Buffer.from('%PDF-1.7 the signed contract, page 1 of 1');

  it('is header, IV, ciphertext and tag, and opens to the plaintext', () => {
    const blob = seal(plaintext, key, aad);
    expect(blob.length).toBe(plaintext.length + BLOB_OVERHEAD);
    expect(blob.subarray(0, 5)).toEqual(Buffer.from([0x50, 0x44, 0x4f, 0x43, 0x01]));
    expect(blob.includes(Buffer.from('signed contract'))).toBe(false);
    expect(openBlob(blob, key, aad)).toEqual(plaintext);
  });

  it('uses a fresh IV every time', () => {
    const a = seal(plaintext, key, aad);
    const b = seal(plaintext, key, aad);
    expect(a.subarray(5, 17)).not.toEqual(b.subarray(5, 17));
    expect(a).not.toEqual(b);
  });

  it('refuses a blob with any byte flipped: header, IV, ciphertext or tag', () => {
    const blob = seal(plaintext, key, aad);
    for (const position of [0, 4, 5, 16, 17, 30, blob.length - 17, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[position]! ^= 0x01;
      expect(() => openBlob(tampered, key, aad), `byte ${position}`).toThrow(/malformed blob|authentication failed/);
    }
  });

  it('refuses a blob opened as another document, another tenant, or with another key', () => {
    const blob = seal(plaintext, key, aad);
    expect(() => openBlob(blob, key, documentAad(tenantId, randomUUID()))).toThrow(/authentication failed/);
    expect(() => openBlob(blob, key, documentAad(randomUUID(), documentId))).toThrow(/authentication failed/);
    expect(() => openBlob(blob, randomBytes(32), aad)).toThrow(/authentication failed/);
  });

  it('refuses truncated and extended blobs', () => {
    const blob = seal(plaintext, key, aad);
    expect(() => openBlob(blob.subarray(0, blob.length - 1), key, aad)).toThrow();
    expect(() => openBlob(blob.subarray(0, BLOB_OVERHEAD - 1), key, aad)).toThrow(/malformed blob/);
    expect(() => openBlob(Buffer.concat([blob, Buffer.from([0])]), key, aad)).toThrow(/authentication failed/);
  });

  it('seals the same bytes whatever pieces they arrive in', () => {
    const large = randomBytes(200_000);
    expect(openBlob(seal(large.subarray(0, 5_000), key, aad, 1), key, aad)).toEqual(large.subarray(0, 5_000));
    expect(openBlob(seal(large, key, aad, 65_536), key, aad)).toEqual(large);
  });
});

describe('tenant key wrapping', () => {
  const wrappingKey = randomBytes(32);
  const tenantId = randomUUID();

  it('is IV, tag and the encrypted 32-byte key: 60 bytes, no plaintext key inside', () => {
    const dataKey = randomBytes(32);
    const wrapped = wrapTenantKey(wrappingKey, tenantId, 1, dataKey);
    expect(wrapped).toHaveLength(WRAPPED_KEY_LENGTH);
    expect(WRAPPED_KEY_LENGTH).toBe(60);
    expect(wrapped.includes(dataKey.subarray(0, 8))).toBe(false);
    expect(unwrapTenantKey(wrappingKey, tenantId, 1, wrapped)).toEqual(dataKey);
  });

  it('does not unwrap under another master key, for another tenant or another version', () => {
    const wrapped = wrapTenantKey(wrappingKey, tenantId, 1, randomBytes(32));
    expect(() => unwrapTenantKey(randomBytes(32), tenantId, 1, wrapped)).toThrow(/does not unwrap/);
    expect(() => unwrapTenantKey(wrappingKey, randomUUID(), 1, wrapped)).toThrow(/does not unwrap/);
    expect(() => unwrapTenantKey(wrappingKey, tenantId, 2, wrapped)).toThrow(/does not unwrap/);
    const flipped = Buffer.from(wrapped);
    flipped[40]! ^= 0x80;
    expect(() => unwrapTenantKey(wrappingKey, tenantId, 1, flipped)).toThrow(/does not unwrap/);
    expect(() => unwrapTenantKey(wrappingKey, tenantId, 1, wrapped.subarray(0, 59))).toThrow(/does not unwrap/);
  });

  it('names no key material in its error', () => {
    const dataKey = randomBytes(32);
    const wrapped = wrapTenantKey(wrappingKey, tenantId, 1, dataKey);
    try {
      unwrapTenantKey(randomBytes(32), tenantId, 1, wrapped);
      expect.unreachable();
    } catch (error) {
      const message = String((error as Error).message);
      for (const secret of [dataKey, wrappingKey, wrapped]) {
        expect(message).not.toContain(secret.toString('hex'));
        expect(message).not.toContain(secret.toString('base64'));
      }
    }
  });
});
