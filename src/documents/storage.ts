import type { Readable } from 'node:stream';

/**
 * Where encrypted blobs live. Keys are `<tenant id>/<document id>` (see storageKey); implementations
 * validate them, so a key can never name anything outside the documents area. Blobs travel piece by
 * piece both ways: no implementation holds a whole blob in memory.
 */
export interface DocumentStorage {
  /**
   * Stores a blob as it is produced; visible under its key only once complete. When the source or the
   * write fails, nothing is left behind (no temporary file, no unfinished multipart upload) and the
   * source's own error is what rejects.
   */
  put(key: string, source: AsyncIterable<Buffer>): Promise<void>;
  /** The blob, open for reading, with its stored size; BlobNotFoundError when there is none; BlobTooLargeError past maxBytes. */
  get(key: string, maxBytes: number): Promise<StoredBlob>;
  /** Removes a blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Everything stored, for the orphan sweep: blobs by key, and leftovers of interrupted writes. */
  list(): AsyncIterable<StoredEntry>;
  /** Removes a leftover that list() reported; a missing one is not an error. */
  deleteLeftover(name: string): Promise<void>;
}

/**
 * A stored blob open for reading, front to back. The reader fills a buffer the caller owns and may reuse,
 * so reading a blob allocates nothing per piece (a download reads 25 MiB into one buffer of a few
 * hundred KiB instead of a fresh one per read, which kept V8 collecting).
 */
export interface StoredBlob {
  size: number;
  /** Copies the next bytes into `target`; resolves with how many (at least 1), or 0 at the end. */
  read(target: Buffer): Promise<number>;
  /** Releases the file or connection; reading is over. Safe to call more than once. */
  close(): Promise<void>;
}

/** A blob delivered as a stream (an S3 response body) read through the StoredBlob interface. */
export function blobFromStream(stream: Readable, size: number): StoredBlob {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let rest: Buffer = Buffer.alloc(0);
  let ended = false;
  return {
    size,
    async read(target) {
      while (rest.length === 0) {
        if (ended) return 0;
        const next = await chunks.next();
        if (next.done) ended = true;
        else rest = next.value;
      }
      const copied = rest.copy(target);
      rest = rest.subarray(copied);
      return copied;
    },
    async close() {
      ended = true;
      rest = Buffer.alloc(0);
      // Ends the iteration, which destroys the stream (and frees its socket).
      await chunks.return?.();
    },
  };
}

export type StoredEntry =
  | { kind: 'blob'; key: string; modifiedAt: Date }
  /** A partial write (a `.upload-*.tmp` file) that a crash left behind; `name` is only for deleteLeftover. */
  | { kind: 'leftover'; name: string; modifiedAt: Date };

export class BlobNotFoundError extends Error {
  constructor(key: string) {
    super(`no stored blob under ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobTooLargeError extends Error {
  constructor(key: string, size: number) {
    super(`stored blob ${key} is ${size} bytes, more than any document can be`);
    this.name = 'BlobTooLargeError';
  }
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STORAGE_KEY = new RegExp(`^${UUID}/${UUID}$`);

export function storageKey(tenantId: string, documentId: string): string {
  return assertStorageKey(`${tenantId}/${documentId}`);
}

/** Exactly two lower-case UUIDs: no dots, no extra slashes, nothing a path or object key could escape with. */
export function assertStorageKey(key: string): string {
  if (!STORAGE_KEY.test(key)) throw new Error('invalid document storage key');
  return key;
}

export function isStorageKey(key: string): boolean {
  return STORAGE_KEY.test(key);
}

export const isUuid = (value: string) => new RegExp(`^${UUID}$`).test(value);
