import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BackupIntegrityError, createArchiveOpener, sealArchive } from './archive-cipher.js';
import type { BackupTarget } from './targets.js';

const Digits = Type.String({ pattern: '^-?[0-9]{1,40}$', maxLength: 41 });
const Hex = (length: number) => Type.String({ pattern: `^[0-9a-f]{${length}}$` });

/** What a backup says about itself; sealed like the archive, so it cannot be edited without the key. */
export const BackupManifest = Type.Object(
  {
    format: Type.Literal('pactum-backup/1'),
    id: Type.String({ pattern: '^pactum-[0-9]{8}T[0-9]{6}Z$' }),
    createdAt: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,12}Z$', maxLength: 40 }),
    engine: Type.Union([Type.Literal('postgres'), Type.Literal('embedded')]),
    /** The latest migration applied to the copied database. */
    schemaVersion: Type.Integer({ minimum: 0, maximum: 9999 }),
    dump: Type.Object(
      {
        /** pg_dump's custom format (compressed by pg_dump), or PGlite's gzip'd data-directory tarball. */
        format: Type.Union([Type.Literal('pg_dump-custom'), Type.Literal('pglite-datadir-gzip')]),
        size: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    archive: Type.Object(
      {
        name: Type.String({ pattern: '^pactum-[0-9]{8}T[0-9]{6}Z\\.archive$' }),
        size: Type.Integer({ minimum: 0 }),
        /** SHA-256 of the stored (encrypted) object, checked against what the destination holds. */
        sha256: Hex(64),
      },
      { additionalProperties: false },
    ),
    tables: Type.Array(
      Type.Object({ name: Type.String({ maxLength: 63 }), rows: Digits, checksum: Digits }, { additionalProperties: false }),
      { maxItems: 10_000 },
    ),
    auditHeads: Type.Array(
      Type.Object(
        { tenantId: Type.String({ maxLength: 36 }), seq: Digits, hash: Type.String({ pattern: '^[0-9a-f]{0,128}$' }) },
        { additionalProperties: false },
      ),
      { maxItems: 10_000_000 },
    ),
  },
  { additionalProperties: false },
);
export type BackupManifest = Static<typeof BackupManifest>;

export const manifestName = (backupId: string) => `${backupId}.manifest`;
export const archiveName = (backupId: string) => `${backupId}.archive`;

export async function storeManifest(target: BackupTarget, key: Buffer, manifest: BackupManifest): Promise<void> {
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  await target.put(manifestName(manifest.id), sealArchive([json], key, { backupId: manifest.id, part: 'manifest' }));
}

/** Largest manifest read: tables and audit heads of a very large installation, with room to spare. */
const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

/** Reads, authenticates and checks a manifest; any doubt is a BackupIntegrityError. */
export async function readManifest(target: BackupTarget, key: Buffer, backupId: string): Promise<BackupManifest> {
  const opener = createArchiveOpener(key, { backupId, part: 'manifest' });
  const source = await target.get(manifestName(backupId));
  const chunks: Buffer[] = [];
  let size = 0;
  source.on('error', (error) => opener.destroy(error));
  source.pipe(opener);
  for await (const chunk of opener as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES) {
      source.destroy();
      throw new BackupIntegrityError(`${backupId} manifest is too large`);
    }
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BackupIntegrityError(`${backupId} manifest is not JSON`);
  }
  if (!Value.Check(BackupManifest, parsed) || parsed.id !== backupId)
    throw new BackupIntegrityError(`${backupId} manifest does not have the expected shape`);
  return parsed;
}
