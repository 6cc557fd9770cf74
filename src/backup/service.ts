import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { BackupIntegrityError, createArchiveOpener, sealArchive } from './archive-cipher.js';
import { compareFacts, type DatabaseFacts } from './database-facts.js';
import { collectDump, embeddedFactsOfDump, restoreEmbedded } from './embedded-engine.js';
import { archiveName, readManifest, storeManifest, type BackupManifest } from './manifest.js';
import { createScratchDatabase, postgresFacts, postgresHasTables, restorePostgres, startPostgresDump } from './postgres-engine.js';
import { backupIdAt, backupsToDelete, backupTime } from './retention.js';
import { BackupNotFoundError, type BackupTarget } from './targets.js';

/** What is backed up: a PostgreSQL database through its owner's connection, or the open embedded engine. */
export type BackupSource = { engine: 'postgres'; ownerUrl: string } | { engine: 'embedded'; dumpDataDir: () => Promise<Blob> };

/** Where a restore goes. */
export type RestoreDestination = { engine: 'postgres'; ownerUrl: string } | { engine: 'embedded'; dataDir: string };

export interface BackupDeps {
  target: BackupTarget;
  key: Buffer;
  clock: () => Date;
  /** Called with the dump's bytes so far (for the terminal). */
  onProgress?: (dumpedBytes: number) => void;
}

export class BackupRefusedError extends Error {}

interface StartedDump {
  format: BackupManifest['dump']['format'];
  stream: AsyncIterable<Buffer>;
  finish(): Promise<DatabaseFacts>;
  abort(): void;
}

async function startDump(source: BackupSource): Promise<StartedDump> {
  if (source.engine === 'postgres') return { format: 'pg_dump-custom', ...(await startPostgresDump(source.ownerUrl)) };
  const dump = await source.dumpDataDir();
  return {
    format: 'pglite-datadir-gzip',
    stream: bufferChunks(dump.stream() as unknown as AsyncIterable<Uint8Array>),
    finish: () => embeddedFactsOfDump(dump),
    abort: () => {},
  };
}

/** A Blob's stream yields Uint8Arrays; the cipher's queue works on Buffers (views, no copy). */
async function* bufferChunks(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Dump → encrypt → store, streaming; then the stored object is read back and its SHA-256 compared with
 * what was sent (an upload that "succeeded" but stored other bytes is caught here), and only then the
 * manifest is written: a backup without a manifest is incomplete and never listed or restored.
 */
export async function takeBackup(source: BackupSource, deps: BackupDeps): Promise<BackupManifest> {
  const createdAt = deps.clock();
  const id = backupIdAt(createdAt);
  const name = archiveName(id);
  const dump = await startDump(source);
  const sent = createHash('sha256');
  let dumpSize = 0;
  let archiveSize = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of dump.stream) {
      dumpSize += chunk.length;
      deps.onProgress?.(dumpSize);
      yield chunk;
    }
  }
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of sealArchive(counted(), deps.key, { backupId: id, part: 'archive' })) {
      sent.update(chunk);
      archiveSize += chunk.length;
      yield chunk;
    }
  }
  try {
    await deps.target.put(name, hashed());
    const facts = await dump.finish();
    const sha256 = sent.digest('hex');
    const stored = await sha256OfStored(deps.target, name);
    if (stored.sha256 !== sha256 || stored.size !== archiveSize)
      throw new BackupIntegrityError(
        `${id} archive as stored in ${deps.target.description} differs from what was sent (SHA-256 ${stored.sha256}, expected ${sha256})`,
      );
    const manifest: BackupManifest = {
      format: 'pactum-backup/1',
      id,
      createdAt: createdAt.toISOString(),
      engine: source.engine,
      schemaVersion: facts.schemaVersion,
      dump: { format: dump.format, size: dumpSize },
      archive: { name, size: archiveSize, sha256 },
      tables: facts.tables,
      auditHeads: facts.auditHeads,
    };
    await storeManifest(deps.target, deps.key, manifest);
    return manifest;
  } catch (error) {
    dump.abort();
    await deps.target.delete(name).catch(() => {});
    throw error;
  }
}

async function sha256OfStored(target: BackupTarget, name: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await target.get(name)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * The plaintext dump of a backup, authenticated segment by segment; the stored object's SHA-256 and size
 * must also match the manifest. The last piece is handed on only after every check passed, so a consumer
 * (pg_restore in one transaction) never sees a complete-looking dump that failed one.
 */
export async function* openArchive(target: BackupTarget, key: Buffer, manifest: BackupManifest): AsyncGenerator<Buffer> {
  const source = await target.get(manifest.archive.name);
  const opener = createArchiveOpener(key, { backupId: manifest.id, part: 'archive' });
  const hash = createHash('sha256');
  let size = 0;
  const feeding = (async () => {
    for await (const chunk of source) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (!opener.write(chunk)) await once(opener, 'drain');
    }
    opener.end();
  })();
  feeding.catch((error: unknown) => opener.destroy(error as Error));
  try {
    let held: Buffer | null = null;
    for await (const chunk of opener as AsyncIterable<Buffer>) {
      if (held) yield held;
      held = chunk;
    }
    await feeding;
    const expected = Buffer.from(manifest.archive.sha256, 'hex');
    const actual = hash.digest();
    if (size !== manifest.archive.size || !timingSafeEqual(actual, expected))
      throw new BackupIntegrityError(`${manifest.id} archive does not match its manifest (size or SHA-256 differ)`);
    if (held) yield held;
  } finally {
    source.destroy();
  }
}

export interface BackupSummary {
  id: string;
  createdAt: Date;
  manifest: BackupManifest | null;
  /** Why the manifest could not be read (wrong key, damaged …). */
  problem: string | null;
  archiveSize: number;
}

/** Complete backups (archive and manifest present), newest first. */
async function completeIds(target: BackupTarget): Promise<{ complete: string[]; incomplete: string[]; sizes: Map<string, number> }> {
  const files = await target.list();
  const archives = new Map<string, number>();
  const manifests = new Set<string>();
  for (const file of files) {
    const id = file.name.replace(/\.(archive|manifest)$/, '');
    if (file.name.endsWith('.archive')) archives.set(id, file.size);
    else manifests.add(id);
  }
  const ids = new Set([...archives.keys(), ...manifests]);
  const complete = [...ids]
    .filter((id) => archives.has(id) && manifests.has(id))
    .sort()
    .reverse();
  const incomplete = [...ids]
    .filter((id) => !(archives.has(id) && manifests.has(id)))
    .sort()
    .reverse();
  return { complete, incomplete, sizes: archives };
}

export async function listBackups(target: BackupTarget, key: Buffer): Promise<BackupSummary[]> {
  const { complete, sizes } = await completeIds(target);
  const summaries: BackupSummary[] = [];
  for (const id of complete) {
    let manifest: BackupManifest | null = null;
    let problem: string | null = null;
    try {
      manifest = await readManifest(target, key, id);
    } catch (error) {
      problem = (error as Error).message;
    }
    summaries.push({ id, createdAt: backupTime(id), manifest, problem, archiveSize: sizes.get(id) ?? 0 });
  }
  return summaries;
}

/** `latest`, an id, or a file name of it, resolved to the id of a complete backup in the target. */
export async function resolveBackup(target: BackupTarget, reference: string): Promise<string> {
  const { complete } = await completeIds(target);
  if (reference === 'latest') {
    if (complete.length === 0) throw new BackupNotFoundError(`no complete backup in ${target.description}`);
    return complete[0]!;
  }
  const id = reference.replace(/\.(archive|manifest)$/, '');
  if (!complete.includes(id)) throw new BackupNotFoundError(`no complete backup "${reference.slice(0, 100)}" in ${target.description}`);
  return id;
}

/**
 * Deletes what the retention rules do not keep (src/backup/retention.ts), plus leftovers of runs that
 * failed (a manifest without archive or an archive without manifest) once they are a day old. Returns the
 * ids removed.
 */
export async function applyRetention(target: BackupTarget, now: Date, keepDaily: number, keepMonthly: number): Promise<string[]> {
  const { complete, incomplete } = await completeIds(target);
  const doomed = backupsToDelete(complete, now, keepDaily, keepMonthly);
  const stale = incomplete.filter((id) => now.getTime() - backupTime(id).getTime() > 86_400_000);
  for (const id of [...doomed, ...stale]) {
    // The manifest first: a half-deleted backup is then incomplete, never a manifest without its data.
    await target.delete(`${id}.manifest`);
    await target.delete(`${id}.archive`);
  }
  return [...doomed, ...stale];
}

/** Restores a backup into an empty database (or over one with `force`). */
export async function restoreBackup(
  target: BackupTarget,
  key: Buffer,
  id: string,
  destination: RestoreDestination,
  options: { force: boolean },
): Promise<BackupManifest> {
  const manifest = await readManifest(target, key, id);
  if (manifest.engine !== destination.engine)
    throw new BackupRefusedError(
      `${id} is a backup of ${describeEngine(manifest.engine)}; this configuration restores into ${describeEngine(destination.engine)}`,
    );
  if (destination.engine === 'postgres') {
    if (!options.force && (await postgresHasTables(destination.ownerUrl)))
      throw new BackupRefusedError('the target database is not empty; restore over it with --force');
    await restorePostgres(destination.ownerUrl, openArchive(target, key, manifest), { replace: options.force });
  } else {
    await restoreEmbedded(destination.dataDir, openArchive(target, key, manifest), { replace: options.force });
  }
  return manifest;
}

/**
 * Restores a backup into a scratch database (a fresh database on the server; an in-memory PGlite for the
 * embedded engine) and compares every table's row count and checksum with the manifest. Returns the
 * differences, one line each; none means the backup restores to exactly what was recorded.
 */
export async function verifyBackup(
  target: BackupTarget,
  key: Buffer,
  id: string,
  server: { ownerUrl: string } | null,
): Promise<{ manifest: BackupManifest; differences: string[] }> {
  const manifest = await readManifest(target, key, id);
  let found: DatabaseFacts;
  if (manifest.engine === 'embedded') {
    found = await embeddedFactsOfDump(await collectDump(openArchive(target, key, manifest)));
  } else {
    if (!server)
      throw new BackupRefusedError(
        `${id} is a PostgreSQL backup: checking it needs PACTUM_MIGRATION_DATABASE_URL (a scratch database is created on that server)`,
      );
    const scratch = await createScratchDatabase(server.ownerUrl);
    try {
      await restorePostgres(scratch.url, openArchive(target, key, manifest), { replace: false });
      found = await postgresFacts(scratch.url);
    } finally {
      await scratch.drop();
    }
  }
  return { manifest, differences: compareFacts(manifest, found) };
}

const describeEngine = (engine: 'postgres' | 'embedded') =>
  engine === 'postgres' ? 'a PostgreSQL server' : 'the embedded engine (PGlite)';
