import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_SEGMENT_SIZE,
  BackupIntegrityError,
  createArchiveOpener,
  sealArchive,
  type ArchiveIds,
} from '../../src/backup/archive-cipher.js';

const key = randomBytes(32);
const ids: ArchiveIds = { backupId: 'pactum-20261130T020000Z', part: 'archive' };

async function seal(plaintext: Buffer, sealKey = key, sealIds = ids): Promise<Buffer> {
  // Fed in odd-sized chunks, as a pipe would deliver them.
  async function* chunks() {
    for (let offset = 0; offset < plaintext.length; offset += 70_001) yield plaintext.subarray(offset, offset + 70_001);
  }
  const out: Buffer[] = [];
  for await (const piece of sealArchive(chunks(), sealKey, sealIds)) out.push(piece);
  return Buffer.concat(out);
}

async function open(sealed: Buffer, openKey = key, openIds = ids): Promise<Buffer> {
  const out: Buffer[] = [];
  // 1000-byte chunks: segment boundaries never line up with reads.
  const pieces = Array.from({ length: Math.ceil(sealed.length / 1000) }, (_, i) => sealed.subarray(i * 1000, (i + 1) * 1000));
  for await (const chunk of Readable.from(pieces).pipe(createArchiveOpener(openKey, openIds))) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

const SIZES = [0, 1, ARCHIVE_SEGMENT_SIZE - 1, ARCHIVE_SEGMENT_SIZE, ARCHIVE_SEGMENT_SIZE + 1, 3 * ARCHIVE_SEGMENT_SIZE + 12_345];

describe('backup archive encryption', () => {
  it.each(SIZES)('round-trips %i bytes and never stores them in the clear', async (size) => {
    const plaintext = randomBytes(size);
    const sealed = await seal(plaintext);
    expect(sealed.subarray(0, 5).toString('latin1')).toBe('PBAK\x01');
    if (size >= 64) expect(sealed.includes(plaintext.subarray(0, 64))).toBe(false);
    expect((await open(sealed)).equals(plaintext)).toBe(true);
  });

  const plaintext = randomBytes(2 * ARCHIVE_SEGMENT_SIZE + 5000);

  it('refuses a wrong key', async () => {
    const sealed = await seal(plaintext);
    await expect(open(sealed, randomBytes(32))).rejects.toThrow(BackupIntegrityError);
  });

  it('refuses a flipped byte anywhere: header salt, first, middle and last segment', async () => {
    const sealed = await seal(plaintext);
    for (const at of [10, 100, ARCHIVE_SEGMENT_SIZE + 40, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at]! ^= 0x01;
      await expect(open(tampered), `byte ${at}`).rejects.toThrow(BackupIntegrityError);
    }
  });

  it('refuses an archive cut short, at a segment boundary or inside one, or with a segment appended', async () => {
    const sealed = await seal(plaintext);
    const header = 21;
    const segment = ARCHIVE_SEGMENT_SIZE + 16;
    for (const length of [0, 3, header, header + segment, header + 2 * segment, sealed.length - 1]) {
      await expect(open(sealed.subarray(0, length)), `cut at ${length}`).rejects.toThrow(BackupIntegrityError);
    }
    const appended = Buffer.concat([sealed, sealed.subarray(header, header + segment)]);
    await expect(open(appended)).rejects.toThrow(BackupIntegrityError);
  });

  it('refuses an archive stored under another backup id or as the manifest', async () => {
    const sealed = await seal(plaintext);
    await expect(open(sealed, key, { backupId: 'pactum-20261201T020000Z', part: 'archive' })).rejects.toThrow(BackupIntegrityError);
    await expect(open(sealed, key, { ...ids, part: 'manifest' })).rejects.toThrow(BackupIntegrityError);
  });
});
