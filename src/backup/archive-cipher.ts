import { hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BlobIntegrityError, ByteQueue, openSegment, sealSegment, TAG_LENGTH } from '../documents/document-cipher.js';

/**
 * The stored form of a backup archive and of its manifest: the documents' segmented AES-256-GCM stream
 * (src/documents/document-cipher.ts, the STREAM construction) with its own header and key derivation, so a
 * dump of any size is encrypted and decrypted as it flows and every segment is authenticated before a byte
 * of it is used.
 *
 *   "PBAK" (4) | 0x01 (1) | salt (16) | segment 0 | … | final segment
 *   segment = AES-256-GCM ciphertext of 1 MiB of plaintext (the final one: 0 to 1 MiB) | tag (16)
 *
 * The key is HKDF-SHA-256 of PACTUM_BACKUP_KEY with the random salt and the backup id and part as info;
 * the additional data names them again. A wrong key, a flipped byte, reordered, missing or appended
 * segments, an archive cut short anywhere (its last segment was not sealed final) and an archive or
 * manifest stored under another backup's name all fail with BackupIntegrityError.
 */
const MAGIC = Buffer.from('PBAK', 'ascii');
const VERSION = 1;
const SALT_LENGTH = 16;
const HEADER_LENGTH = MAGIC.length + 1 + SALT_LENGTH;
export const ARCHIVE_SEGMENT_SIZE = 1024 * 1024;
const SEALED_SEGMENT = ARCHIVE_SEGMENT_SIZE + TAG_LENGTH;

export type ArchivePart = 'archive' | 'manifest';

export interface ArchiveIds {
  backupId: string;
  part: ArchivePart;
}

export class BackupIntegrityError extends Error {
  constructor(reason: string) {
    super(`backup ${reason}`);
    this.name = 'BackupIntegrityError';
  }
}

const describeFailure = (ids: ArchiveIds) =>
  `${ids.backupId} ${ids.part} failed authentication: wrong PACTUM_BACKUP_KEY, or the stored bytes were changed or cut short`;

function partKey(backupKey: Buffer, salt: Buffer, ids: ArchiveIds): Buffer {
  return Buffer.from(hkdfSync('sha256', backupKey, salt, `pactum:backup-key:v${VERSION}:${ids.backupId}:${ids.part}`, 32));
}

const partAad = (ids: ArchiveIds) => Buffer.from(`pactum:backup:v${VERSION}:${ids.backupId}:${ids.part}`, 'utf8');

/** Encrypts a stream as it arrives; at most about one segment of plaintext is held. */
export async function* sealArchive(
  plaintext: AsyncIterable<Buffer> | Iterable<Buffer>,
  backupKey: Buffer,
  ids: ArchiveIds,
): AsyncGenerator<Buffer> {
  const salt = randomBytes(SALT_LENGTH);
  const key = partKey(backupKey, salt, ids);
  const aad = partAad(ids);
  try {
    yield Buffer.concat([MAGIC, Buffer.from([VERSION]), salt]);
    const queue = new ByteQueue();
    let index = 0;
    for await (const chunk of plaintext) {
      queue.push(chunk);
      // Sealed as non-final only once a byte after it has arrived, so the last segment carries the flag.
      while (queue.length > ARCHIVE_SEGMENT_SIZE) {
        yield sealSegment(key, aad, index, false, queue.take(ARCHIVE_SEGMENT_SIZE));
        index += 1;
      }
    }
    yield sealSegment(key, aad, index, true, queue.take(queue.length));
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypts a sealed stream; only authenticated plaintext is pushed, and the stream ends only after the
 * final segment verified. Any failure errors the stream with a BackupIntegrityError.
 */
export function createArchiveOpener(backupKey: Buffer, ids: ArchiveIds): Transform {
  const queue = new ByteQueue();
  const aad = partAad(ids);
  let key: Buffer | null = null;
  let index = 0;

  const readHeader = (): boolean => {
    if (key) return true;
    if (queue.length < HEADER_LENGTH) return false;
    const header = queue.take(HEADER_LENGTH);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== VERSION)
      throw new BackupIntegrityError(`${ids.backupId} ${ids.part} is not a Pactum backup file`);
    key = partKey(backupKey, header.subarray(MAGIC.length + 1), ids);
    return true;
  };

  const open = (final: boolean, sealed: Buffer): Buffer => {
    try {
      return openSegment(key!, aad, index, final, sealed);
    } catch (error) {
      if (error instanceof BlobIntegrityError) throw new BackupIntegrityError(describeFailure(ids));
      throw error;
    }
  };

  return new Transform({
    writableHighWaterMark: SEALED_SEGMENT,
    readableHighWaterMark: ARCHIVE_SEGMENT_SIZE,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        queue.push(chunk);
        if (!readHeader()) return done();
        while (queue.length > SEALED_SEGMENT) {
          const plaintext = open(false, queue.take(SEALED_SEGMENT));
          index += 1;
          if (plaintext.length > 0) this.push(plaintext);
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (!readHeader()) throw new BackupIntegrityError(`${ids.backupId} ${ids.part} is empty or cut short`);
        const plaintext = open(true, queue.take(queue.length));
        if (plaintext.length > 0) this.push(plaintext);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    destroy(error, done) {
      key?.fill(0);
      done(error);
    },
  });
}
