import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { openDocument, sealDocument, sealedSize, SEGMENT_SIZE } from '../../src/documents/document-cipher.js';
import { blobFromStream } from '../../src/documents/storage.js';
import { unwrapTenantKey, wrapTenantKey, WRAPPED_KEY_LENGTH } from '../../src/documents/tenant-keys.js';
import { pieces, readAll, sealVersion1 } from './helpers.js';

const key = randomBytes(32);
const ids = { tenantId: randomUUID(), documentId: randomUUID() };
const TAG = 16;
const HEADER = 21;
const SEALED_SEGMENT = SEGMENT_SIZE + TAG;

/** Splits `bytes` into pieces of `size` (the last shorter): how a stream would deliver them. */
function split(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) out.push(bytes.subarray(offset, offset + size));
  return out;
}

async function seal(plaintext: Buffer, pieceSize = 7_919, sealIds = ids): Promise<Buffer> {
  return readAll(sealDocument(pieces(...split(plaintext, pieceSize)), key, sealIds));
}

/** The blob as storage hands it out: read through the StoredBlob interface, arriving in pieces of `pieceSize`. */
const stored = (blob: Buffer, pieceSize = 5_003) => blobFromStream(Readable.from(split(blob, pieceSize)), blob.length);

const opening = (plaintext: Buffer, openIds = ids, dataKey = key) => ({
  dataKey,
  ...openIds,
  size: plaintext.length,
  sha256: createHash('sha256').update(plaintext).digest(),
});

/** Opens a blob as the download does; resolves to the plaintext or rejects with the integrity error. */
async function open(blob: Buffer, plaintext: Buffer, options: { openIds?: typeof ids; pieceSize?: number } = {}): Promise<Buffer> {
  return readAll(await openDocument(stored(blob, options.pieceSize), opening(plaintext, options.openIds)));
}

/** Collects what a download sends before it fails: no byte of a refused segment may be among it. */
async function pushedBeforeFailure(blob: Buffer, plaintext: Buffer): Promise<{ pushed: Buffer; error: Error | null }> {
  let document;
  try {
    document = await openDocument(stored(blob, 4_096), opening(plaintext));
  } catch (error) {
    return { pushed: Buffer.alloc(0), error: error as Error };
  }
  const chunks: Buffer[] = [];
  document.on('data', (chunk: Buffer) => chunks.push(chunk));
  const error = await new Promise<Error | null>((resolve) => {
    document.on('error', resolve);
    document.on('end', () => resolve(null));
  });
  return { pushed: Buffer.concat(chunks), error };
}

describe('document blob format, version 2 (segmented)', () => {
  it('round-trips any size, in any pieces, including 0, 1 and the 64 KiB boundaries', async () => {
    const interesting = fc.constantFrom(0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 2 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 17);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(interesting, fc.integer({ min: 0, max: 4 * SEGMENT_SIZE })),
        fc.integer({ min: 997, max: 100_000 }),
        fc.integer({ min: 997, max: 100_000 }),
        async (size, inPieces, outPieces) => {
          const plaintext = randomBytes(size);
          const blob = await seal(plaintext, inPieces);
          expect(blob.length).toBe(sealedSize(size));
          expect((await open(blob, plaintext, { pieceSize: outPieces })).equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('starts with PDOC 0x02 and a fresh salt, and keeps no plaintext', async () => {
    const plaintext = Buffer.from('%PDF-1.7 the signed contract, page 1 of 1');
    const a = await seal(plaintext);
    const b = await seal(plaintext);
    expect(a.subarray(0, 5)).toEqual(Buffer.from('PDOC\x02', 'latin1'));
    expect(a.subarray(5, HEADER)).not.toEqual(b.subarray(5, HEADER));
    expect(a.includes(Buffer.from('signed contract'))).toBe(false);
  });

  const plaintext = randomBytes(3 * SEGMENT_SIZE + 1_000);
  const segmentAt = (index: number) => HEADER + index * SEALED_SEGMENT;

  it('refuses a flipped byte in the header, a segment or a tag', async () => {
    const blob = await seal(plaintext);
    for (const position of [0, 4, 5, 20, HEADER, segmentAt(1) - 1, segmentAt(2) + 100, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[position]! ^= 0x01;
      await expect(open(tampered, plaintext), `byte ${position}`).rejects.toThrow(/malformed blob|authentication failed/);
    }
  });

  it('refuses a blob cut at a segment boundary, cut mid-segment, or with its final segment dropped', async () => {
    const blob = await seal(plaintext);
    await expect(open(blob.subarray(0, segmentAt(3)), plaintext)).rejects.toThrow(/authentication failed/);
    await expect(open(blob.subarray(0, segmentAt(2) + 500), plaintext)).rejects.toThrow(/authentication failed/);
    await expect(open(blob.subarray(0, HEADER), plaintext)).rejects.toThrow(/malformed blob/);
    await expect(open(blob.subarray(0, 3), plaintext)).rejects.toThrow(/malformed blob/);
  });

  it('refuses reordered segments', async () => {
    const blob = await seal(plaintext);
    const swapped = Buffer.concat([
      blob.subarray(0, HEADER),
      blob.subarray(segmentAt(1), segmentAt(2)),
      blob.subarray(segmentAt(0), segmentAt(1)),
      blob.subarray(segmentAt(2)),
    ]);
    await expect(open(swapped, plaintext)).rejects.toThrow(/authentication failed/);
  });

  it('refuses an appended segment, a duplicated one, and trailing bytes', async () => {
    const blob = await seal(plaintext);
    await expect(open(Buffer.concat([blob, blob.subarray(segmentAt(1), segmentAt(2))]), plaintext)).rejects.toThrow(
      /authentication failed/,
    );
    await expect(open(Buffer.concat([blob.subarray(0, segmentAt(2)), blob.subarray(segmentAt(1))]), plaintext)).rejects.toThrow(
      /authentication failed/,
    );
    await expect(open(Buffer.concat([blob, Buffer.from([0])]), plaintext)).rejects.toThrow(/authentication failed/);
  });

  it('refuses a blob opened as another document, another tenant, or with another key', async () => {
    const blob = await seal(plaintext);
    await expect(open(blob, plaintext, { openIds: { ...ids, documentId: randomUUID() } })).rejects.toThrow(/authentication failed/);
    await expect(open(blob, plaintext, { openIds: { ...ids, tenantId: randomUUID() } })).rejects.toThrow(/authentication failed/);
    await expect(openDocument(stored(blob), opening(plaintext, ids, randomBytes(32)))).rejects.toThrow(/authentication failed/);
  });

  /** A document long enough to be read in several batches: some verified segments go out before a later failure. */
  const long = randomBytes(10 * SEGMENT_SIZE + 1_000);

  /** What went out is whole verified segments from the start, and none at or after `failedAt`. */
  const onlySegmentsBefore = (pushed: Buffer, sent: Buffer, failedAt: number) => {
    expect(pushed.length % SEGMENT_SIZE).toBe(0);
    expect(pushed.length).toBeLessThanOrEqual(failedAt * SEGMENT_SIZE);
    expect(pushed.equals(sent.subarray(0, pushed.length))).toBe(true);
  };

  it('refuses a document whose size or SHA-256 differs from the row, before its end is released', async () => {
    const blob = await seal(long);
    const other = Buffer.from(long);
    other[other.length - 1]! ^= 0x01;
    const { pushed, error } = await pushedBeforeFailure(blob, other);
    expect(error?.message).toMatch(/sha256 mismatch/);
    // Verified segments streamed out before the end was read; the final one never did.
    expect(pushed.length).toBeGreaterThan(0);
    onlySegmentsBefore(pushed, long, 10);
    await expect(open(blob, long.subarray(0, long.length - 1))).rejects.toThrow(/size mismatch/);
  });

  it('releases no byte of a segment that fails: what went out is verified segments before it', async () => {
    const blob = await seal(long);
    const tampered = Buffer.from(blob);
    tampered[segmentAt(6) + 10]! ^= 0x01;
    const { pushed, error } = await pushedBeforeFailure(tampered, long);
    expect(error?.message).toMatch(/authentication failed/);
    expect(pushed.length).toBeGreaterThan(0);
    onlySegmentsBefore(pushed, long, 6);
  });

  it('reads a blob however storage cuts it: single bytes, odd pieces, one piece', async () => {
    const blob = await seal(plaintext);
    for (const pieceSize of [1, 17, SEGMENT_SIZE + 16, blob.length])
      expect((await open(blob, plaintext, { pieceSize })).equals(plaintext)).toBe(true);
  });

  it('closes the blob however the download ends: read to the end, refused at its start, or abandoned', async () => {
    const blob = await seal(long);
    const closings = (source: Buffer) => {
      const inner = stored(source);
      const counted = { ...inner, closed: 0, close: async () => ((counted.closed += 1), inner.close()) };
      return counted;
    };
    const whole = closings(blob);
    await readAll(await openDocument(whole, opening(long)));
    expect(whole.closed).toBeGreaterThan(0);

    const refused = closings(Buffer.from('PDOC\x09 not a blob'));
    await expect(openDocument(refused, opening(long))).rejects.toThrow(/malformed blob/);
    expect(refused.closed).toBeGreaterThan(0);

    const abandoned = closings(blob);
    const document = await openDocument(abandoned, opening(long));
    await new Promise((resolve) => document.once('data', resolve));
    document.destroy();
    await new Promise((resolve) => document.once('close', resolve));
    await vi.waitFor(() => expect(abandoned.closed).toBeGreaterThan(0));
  });
});

describe('document blob format, version 1 (whole-file, still read)', () => {
  const plaintext = Buffer.concat([Buffer.from('%PDF-1.7 written before segmenting '), randomBytes(100_000)]);

  it('opens a blob written in the old format', async () => {
    const blob = sealVersion1(plaintext, key, ids.tenantId, ids.documentId);
    expect(blob.length).toBe(plaintext.length + 33);
    expect((await open(blob, plaintext)).equals(plaintext)).toBe(true);
  });

  it('refuses a tampered, truncated or foreign old blob, and releases nothing of it', async () => {
    const blob = sealVersion1(plaintext, key, ids.tenantId, ids.documentId);
    const tampered = Buffer.from(blob);
    tampered[500]! ^= 0x01;
    const refused = await pushedBeforeFailure(tampered, plaintext);
    expect(refused.error?.message).toMatch(/authentication failed/);
    expect(refused.pushed.length).toBe(0);
    await expect(open(blob.subarray(0, blob.length - 1), plaintext)).rejects.toThrow();
    // Longer than its document can be: by one byte, and by more than one read.
    await expect(open(Buffer.concat([blob, Buffer.from([0])]), plaintext)).rejects.toThrow(/size mismatch/);
    await expect(open(Buffer.concat([blob, randomBytes(400_000)]), plaintext)).rejects.toThrow(/size mismatch/);
    await expect(open(blob, plaintext, { openIds: { ...ids, documentId: randomUUID() } })).rejects.toThrow(/authentication failed/);
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
