import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StoredBlob } from './storage.js';

/**
 * The stored form of a document. Every blob starts with "PDOC" and a version byte.
 *
 * Version 2 (written today): segmented, so a document is encrypted and decrypted as a stream and every
 * 64 KiB is authenticated on its own before a byte of it is used.
 *
 *   "PDOC" (4) | 0x02 (1) | salt (16) | segment 0 | segment 1 | … | final segment
 *   segment  = AES-256-GCM ciphertext of 64 KiB of plaintext (the final one: 0 to 64 KiB) | tag (16)
 *
 * Each document gets its own key, HKDF-SHA-256 of the tenant's data key with the random salt and the
 * tenant and document id as info, so nonces never repeat under one key. The nonce of segment i is
 * seven zero bytes | i (uint32 BE) | 1 if final else 0 (the STREAM construction), and the additional
 * data names the tenant and document. Reordered segments fail (wrong index), a blob cut at a segment
 * boundary fails (its last segment was not sealed as final), an appended segment fails (the true final
 * one is then read as non-final), and a blob copied under another document or tenant fails (other key).
 *
 * Version 1 (read only; blobs written before segmenting): one GCM message over the whole document,
 *
 *   "PDOC" (4) | 0x01 (1) | IV (12) | ciphertext | tag (16)     additional data documentAad()
 *
 * which can only be verified once all of it is read, so it is opened in memory (≤ 25 MiB + 33 bytes).
 */
const MAGIC = Buffer.from('PDOC', 'ascii');
const PREFIX_LENGTH = MAGIC.length + 1;
const V1 = 1;
const V2 = 2;
const IV_LENGTH = 12;
/** The GCM tag closing every segment (shared with the backup archive format, src/backup/archive-cipher.ts). */
export const TAG_LENGTH = 16;
const SALT_LENGTH = 16;

/** Plaintext bytes per segment of a version 2 blob. */
export const SEGMENT_SIZE = 64 * 1024;
const SEALED_SEGMENT = SEGMENT_SIZE + TAG_LENGTH;
const V2_HEADER_LENGTH = PREFIX_LENGTH + SALT_LENGTH;
const MAX_SEGMENTS = 0xffff_ffff;

/** Bytes a version 1 blob adds to its plaintext. */
export const V1_BLOB_OVERHEAD = PREFIX_LENGTH + IV_LENGTH + TAG_LENGTH;

/** The size of the version 2 blob of a document of `size` bytes. */
export function sealedSize(size: number): number {
  const segments = Math.max(1, Math.ceil(size / SEGMENT_SIZE));
  return V2_HEADER_LENGTH + size + segments * TAG_LENGTH;
}

export type IntegrityReason = 'malformed_blob' | 'authentication_failed' | 'size_mismatch' | 'sha256_mismatch';

export class BlobIntegrityError extends Error {
  constructor(readonly reason: IntegrityReason) {
    super(`document blob ${reason.replace('_', ' ')}`);
    this.name = 'BlobIntegrityError';
  }
}

export interface DocumentIds {
  tenantId: string;
  documentId: string;
}

/** The additional data of a version 1 blob. */
export function documentAad(tenantId: string, documentId: string): Buffer {
  return Buffer.from(`pactum:document:v${V1}:${tenantId}:${documentId}`, 'utf8');
}

const segmentAad = ({ tenantId, documentId }: DocumentIds) => Buffer.from(`pactum:document:v${V2}:${tenantId}:${documentId}`, 'utf8');

function documentKey(dataKey: Buffer, salt: Buffer, ids: DocumentIds): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, salt, `pactum:document-key:v${V2}:${ids.tenantId}:${ids.documentId}`, 32));
}

export function segmentNonce(index: number, final: boolean): Buffer {
  if (index > MAX_SEGMENTS) throw new BlobIntegrityError('malformed_blob');
  const nonce = Buffer.alloc(IV_LENGTH);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/** Seals one segment of a STREAM-construction blob; reused by backup archives (src/backup/archive-cipher.ts). */
export function sealSegment(key: Buffer, aad: Buffer, index: number, final: boolean, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, segmentNonce(index, final), { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

export function openSegment(key: Buffer, aad: Buffer, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_LENGTH) throw new BlobIntegrityError('malformed_blob');
  const decipher = createDecipheriv('aes-256-gcm', key, segmentNonce(index, final), { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  try {
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
    // GCM's final() yields no bytes; it only checks the tag (and throws when it does not match).
    decipher.final();
    return plaintext;
  } catch {
    throw new BlobIntegrityError('authentication_failed');
  }
}

/** Bytes queued in arrival order; taking from the front copies only when a piece spans chunks. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer) {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(size: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= size) {
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      this.length -= size;
      return first.subarray(0, size);
    }
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, size - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.length -= size;
    return out;
  }
}

/**
 * Encrypts a document as it arrives into a version 2 blob, yielded piece by piece: at most one segment
 * of plaintext is held. A segment is sealed as non-final only once a byte after it has arrived, so the
 * last one — even when the size is a multiple of 64 KiB — carries the final flag.
 */
export async function* sealDocument(plaintext: AsyncIterable<Buffer>, dataKey: Buffer, ids: DocumentIds): AsyncGenerator<Buffer> {
  const salt = randomBytes(SALT_LENGTH);
  const key = documentKey(dataKey, salt, ids);
  const aad = segmentAad(ids);
  try {
    yield Buffer.concat([MAGIC, Buffer.from([V2]), salt]);
    let pending: Buffer = Buffer.alloc(0);
    let index = 0;
    for await (const chunk of plaintext) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset > SEGMENT_SIZE) {
        yield sealSegment(key, aad, index, false, pending.subarray(offset, offset + SEGMENT_SIZE));
        index += 1;
        offset += SEGMENT_SIZE;
      }
      if (offset > 0) pending = Buffer.from(pending.subarray(offset));
    }
    yield sealSegment(key, aad, index, true, pending);
  } finally {
    key.fill(0);
  }
}

/** Decrypts and authenticates a whole version 1 blob; nothing is returned unless the tag verifies. */
export function openBlob(blob: Buffer, key: Buffer, aad: Buffer): Buffer {
  if (blob.length < V1_BLOB_OVERHEAD || !blob.subarray(0, MAGIC.length).equals(MAGIC) || blob[MAGIC.length] !== V1) {
    throw new BlobIntegrityError('malformed_blob');
  }
  const iv = blob.subarray(PREFIX_LENGTH, PREFIX_LENGTH + IV_LENGTH);
  const ciphertext = blob.subarray(PREFIX_LENGTH + IV_LENGTH, blob.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.subarray(blob.length - TAG_LENGTH));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new BlobIntegrityError('authentication_failed');
  }
}

export interface OpenerOptions extends DocumentIds {
  dataKey: Buffer;
  /** What the documents row recorded at upload: the plaintext must have exactly this size and SHA-256. */
  size: number;
  sha256: Buffer;
}

/** Sealed segments read from storage at a time: fewer reads (each a trip to the thread pool) per download. */
const SEGMENTS_PER_READ = 4;

/**
 * Opens a stored blob (either version) as the document's plaintext. Resolves once the first segment is
 * authenticated — a blob that is missing its header, malformed or tampered at its start rejects with a
 * BlobIntegrityError before a byte could be sent — and then streams the rest. Only authenticated
 * plaintext is ever pushed; the final segment, and with it the end of the document, only after the size
 * and SHA-256 of the whole plaintext matched the row, so a reader never receives a complete-looking file
 * that is not the one uploaded. A later failure errors the stream with a BlobIntegrityError. The blob is
 * closed however the stream ends; the data key is copied, so the caller may wipe its own.
 */
export async function openDocument(blob: StoredBlob, options: OpenerOptions): Promise<Readable> {
  const plaintext = documentPlaintext(blob, { ...options, dataKey: Buffer.from(options.dataKey) });
  let first: IteratorResult<Buffer>;
  try {
    first = await plaintext.next();
  } catch (error) {
    await blob.close();
    throw error;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (!first.done) yield first.value;
    yield* plaintext;
  }
  return Readable.from(rest(), { objectMode: false, highWaterMark: SEGMENT_SIZE });
}

/** The verified plaintext of a blob, a segment at a time; see openDocument. Wipes `dataKey` (a copy) when done. */
async function* documentPlaintext(blob: StoredBlob, options: OpenerOptions): AsyncGenerator<Buffer> {
  const { dataKey } = options;
  const hash = createHash('sha256');
  let produced = 0;
  let key: Buffer | null = null;
  const verified = (plaintext: Buffer) => {
    hash.update(plaintext);
    produced += plaintext.length;
    if (produced > options.size) throw new BlobIntegrityError('size_mismatch');
    return plaintext;
  };
  const checkWhole = () => {
    if (produced !== options.size) throw new BlobIntegrityError('size_mismatch');
    const actual = hash.digest();
    if (actual.length !== options.sha256.length || !timingSafeEqual(actual, options.sha256))
      throw new BlobIntegrityError('sha256_mismatch');
  };

  try {
    // One buffer for the whole download: each read fills it behind the part-segment left from the last
    // one, so reading allocates nothing, and only the plaintext (which leaves) is new memory.
    const buffer = Buffer.allocUnsafe((SEGMENTS_PER_READ + 1) * SEALED_SEGMENT);
    let filled = 0;
    let ended = false;
    /** Fills the buffer (a stream-backed blob hands out one network chunk per read) or reaches the end. */
    const fill = async () => {
      while (filled < buffer.length) {
        const read = await blob.read(buffer.subarray(filled));
        if (read === 0) {
          ended = true;
          return;
        }
        filled += read;
      }
    };

    await fill();
    if (filled < PREFIX_LENGTH || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) throw new BlobIntegrityError('malformed_blob');
    const version = buffer[MAGIC.length];
    if (version === V1) {
      const whole = await readWhole(blob, buffer.subarray(0, filled), V1_BLOB_OVERHEAD + options.size);
      const plaintext = verified(openBlob(whole, dataKey, documentAad(options.tenantId, options.documentId)));
      checkWhole();
      yield plaintext;
      return;
    }
    if (version !== V2 || filled < V2_HEADER_LENGTH) throw new BlobIntegrityError('malformed_blob');
    key = documentKey(dataKey, buffer.subarray(PREFIX_LENGTH, V2_HEADER_LENGTH), options);
    const aad = segmentAad(options);
    let offset = V2_HEADER_LENGTH;
    let index = 0;
    for (;;) {
      // Opens every segment the buffer holds whole with a byte after it (so not the final one), then reads
      // on while they are being sent: the read overlaps the socket writes instead of waiting for them.
      const opened: Buffer[] = [];
      while (filled - offset > SEALED_SEGMENT) {
        opened.push(verified(openSegment(key, aad, index, false, buffer.subarray(offset, offset + SEALED_SEGMENT))));
        index += 1;
        offset += SEALED_SEGMENT;
      }
      if (ended) {
        const last = verified(openSegment(key, aad, index, true, buffer.subarray(offset, filled)));
        checkWhole();
        for (const plaintext of [...opened, last]) if (plaintext.length > 0) yield plaintext;
        return;
      }
      buffer.copyWithin(0, offset, filled);
      filled -= offset;
      offset = 0;
      const reading = fill();
      // Awaited below; if the download is abandoned first, its failure (if any) has no one to tell.
      reading.catch(() => {});
      for (const plaintext of opened) if (plaintext.length > 0) yield plaintext;
      await reading;
    }
  } finally {
    dataKey.fill(0);
    key?.fill(0);
    await blob.close();
  }
}

/** A version 1 blob in one buffer: `head` (already read) and the rest; never more than `limit` bytes. */
async function readWhole(blob: StoredBlob, head: Buffer, limit: number): Promise<Buffer> {
  if (head.length > limit) throw new BlobIntegrityError('size_mismatch');
  // One byte of room past the limit, so that a longer blob is noticed rather than cut to fit.
  const whole = Buffer.allocUnsafe(limit + 1);
  let filled = head.copy(whole);
  for (;;) {
    const read = await blob.read(whole.subarray(filled));
    if (read === 0) return whole.subarray(0, filled);
    filled += read;
    if (filled > limit) throw new BlobIntegrityError('size_mismatch');
  }
}
