import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDocumentOpener, sealDocument, sealedSize, SEGMENT_SIZE } from '../../src/documents/document-cipher.js';
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

/** Opens a blob as the download does; resolves to the plaintext or rejects with the integrity error. */
async function open(blob: Buffer, plaintext: Buffer, options: { openIds?: typeof ids; pieceSize?: number } = {}): Promise<Buffer> {
  const opener = createDocumentOpener({
    dataKey: key,
    ...(options.openIds ?? ids),
    size: plaintext.length,
    sha256: createHash('sha256').update(plaintext).digest(),
  });
  const source = Readable.from(split(blob, options.pieceSize ?? 5_003));
  return readAll(source.pipe(opener).on('error', () => {})).then(async (result) => {
    await opener.firstVerified;
    if (opener.errored) throw opener.errored;
    return result;
  });
}

/** Collects what an opener pushes before it fails: no byte of a refused segment may be among it. */
async function pushedBeforeFailure(blob: Buffer, plaintext: Buffer): Promise<{ pushed: Buffer; error: Error | null }> {
  const opener = createDocumentOpener({
    dataKey: key,
    ...ids,
    size: plaintext.length,
    sha256: createHash('sha256').update(plaintext).digest(),
  });
  const chunks: Buffer[] = [];
  opener.on('data', (chunk: Buffer) => chunks.push(chunk));
  const error = await new Promise<Error | null>((resolve) => {
    opener.on('error', resolve);
    opener.on('end', () => resolve(null));
    Readable.from(split(blob, 4_096)).pipe(opener);
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
    const opener = createDocumentOpener({
      dataKey: randomBytes(32),
      ...ids,
      size: plaintext.length,
      sha256: createHash('sha256').update(plaintext).digest(),
    });
    await expect(readAll(Readable.from([blob]).pipe(opener))).rejects.toThrow(/authentication failed/);
  });

  it('refuses a document whose size or SHA-256 differs from the row, before its end is released', async () => {
    const blob = await seal(plaintext);
    const other = Buffer.from(plaintext);
    other[other.length - 1]! ^= 0x01;
    const { pushed, error } = await pushedBeforeFailure(blob, other);
    expect(error?.message).toMatch(/sha256 mismatch/);
    // Everything but the final segment was verified and may have gone out; the final one never did.
    expect(pushed.length).toBe(3 * SEGMENT_SIZE);
    await expect(open(blob, plaintext.subarray(0, plaintext.length - 1))).rejects.toThrow(/size mismatch/);
  });

  it('releases no byte of a segment that fails: what went out is exactly the segments before it', async () => {
    const blob = await seal(plaintext);
    const tampered = Buffer.from(blob);
    tampered[segmentAt(2) + 10]! ^= 0x01;
    const { pushed, error } = await pushedBeforeFailure(tampered, plaintext);
    expect(error?.message).toMatch(/authentication failed/);
    expect(pushed.equals(plaintext.subarray(0, 2 * SEGMENT_SIZE))).toBe(true);
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
