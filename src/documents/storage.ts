/**
 * Where encrypted blobs live. Keys are `<tenant id>/<document id>` (see storageKey); implementations
 * validate them, so a key can never name anything outside the documents area.
 */
export interface DocumentStorage {
  /** Stores a whole blob (given as the pieces it was produced in); visible under its key only once complete. */
  put(key: string, bytes: Buffer | readonly Buffer[]): Promise<void>;
  /** The blob; BlobNotFoundError when there is none; BlobTooLargeError rather than reading more than maxBytes. */
  get(key: string, maxBytes: number): Promise<Buffer>;
  /** Removes a blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
}

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
