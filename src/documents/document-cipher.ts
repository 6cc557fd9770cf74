import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The stored form of a document (format version 1), written before the bytes reach the disk or the bucket:
 *
 *   "PDOC" (4) | version 0x01 (1) | IV (12) | AES-256-GCM ciphertext (= plaintext length) | tag (16)
 *
 * Encrypted under the tenant's data key with a fresh random IV per document. The additional data binds
 * the ciphertext to its tenant and document id, so a blob copied under another document's key — or
 * another tenant's — fails authentication instead of being served as that document.
 */
const MAGIC = Buffer.from('PDOC', 'ascii');
const VERSION = 1;
const HEADER = Buffer.concat([MAGIC, Buffer.from([VERSION])]);
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** Bytes a blob adds to its plaintext. */
export const BLOB_OVERHEAD = HEADER.length + IV_LENGTH + TAG_LENGTH;

export class BlobIntegrityError extends Error {
  constructor(readonly reason: 'malformed_blob' | 'authentication_failed') {
    super(`document blob ${reason.replace('_', ' ')}`);
    this.name = 'BlobIntegrityError';
  }
}

export function documentAad(tenantId: string, documentId: string): Buffer {
  return Buffer.from(`pactum:document:v${VERSION}:${tenantId}:${documentId}`, 'utf8');
}

export interface BlobSealer {
  /** Encrypts the next piece of plaintext; only ciphertext is kept. */
  update(plaintext: Buffer): void;
  /** The whole blob, as the pieces it was produced in (joining them would copy up to 25 MB once more). */
  finish(): Buffer[];
}

/** Encrypts a document as it arrives, so the plaintext never has to be held whole. */
export function createBlobSealer(key: Buffer, aad: Buffer): BlobSealer {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const pieces: Buffer[] = [HEADER, iv];
  return {
    update(plaintext) {
      const out = cipher.update(plaintext);
      if (out.length > 0) pieces.push(out);
    },
    finish() {
      const out = cipher.final();
      if (out.length > 0) pieces.push(out);
      pieces.push(cipher.getAuthTag());
      return pieces;
    },
  };
}

/**
 * Decrypts and authenticates a whole blob. Nothing is returned unless the tag verifies, which is why the
 * download path holds the document in memory rather than streaming plaintext it has not verified yet.
 */
export function openBlob(blob: Buffer, key: Buffer, aad: Buffer): Buffer {
  if (blob.length < BLOB_OVERHEAD || !blob.subarray(0, HEADER.length).equals(HEADER)) throw new BlobIntegrityError('malformed_blob');
  const iv = blob.subarray(HEADER.length, HEADER.length + IV_LENGTH);
  const ciphertext = blob.subarray(HEADER.length + IV_LENGTH, blob.length - TAG_LENGTH);
  const tag = blob.subarray(blob.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new BlobIntegrityError('authentication_failed');
  }
}
