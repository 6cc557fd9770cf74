import type { DocumentContentType } from '../db/schema.js';

/**
 * What a document is, decided by its first bytes alone. The client's filename and Content-Type are
 * claims; a file whose bytes are not a PDF, PNG or JPEG is refused whatever it is called.
 * (file-type would do this, but its current major needs Node 22.)
 */
const SIGNATURES: ReadonlyArray<{ type: DocumentContentType; bytes: readonly number[] }> = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

/** Bytes needed to tell every accepted type apart: the longest signature. */
export const SNIFF_LENGTH = Math.max(...SIGNATURES.map((signature) => signature.bytes.length));

/** The accepted type whose signature starts `head`, or null. Signatures are anchored at offset 0. */
export function sniffContentType(head: Uint8Array): DocumentContentType | null {
  for (const { type, bytes } of SIGNATURES) {
    if (head.length >= bytes.length && bytes.every((byte, index) => head[index] === byte)) return type;
  }
  return null;
}

/** The canonical file extension per type, and the ones a user's name may already carry. */
export const EXTENSIONS: Record<DocumentContentType, { canonical: string; accepted: readonly string[] }> = {
  'application/pdf': { canonical: 'pdf', accepted: ['pdf'] },
  'image/png': { canonical: 'png', accepted: ['png'] },
  'image/jpeg': { canonical: 'jpg', accepted: ['jpg', 'jpeg', 'jpe', 'jfif'] },
};
