import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireDataDirLock } from '../db/data-dir-lock.js';
import { collectDatabaseFacts, type DatabaseFacts } from './database-facts.js';

/**
 * The embedded engine's backups are its own copy of the data directory (PGlite's dumpDataDir, a gzip'd
 * tarball taken while no statement runs). PGlite hands that copy over as one in-memory Blob and loads
 * one the same way, so here — unlike pg_dump's stream — a dump is held whole in memory once; an embedded
 * installation is small by design (README: use a PostgreSQL server for anything large).
 */

/** Loaded on use: a node on a PostgreSQL server never needs the WebAssembly engine (nor its memory). */
const loadPGlite = async () => (await import('@electric-sql/pglite')).PGlite;

/** The facts of a dumped data directory, read from a throwaway in-memory copy: exactly what the archive holds. */
export async function embeddedFactsOfDump(dump: Blob): Promise<DatabaseFacts> {
  const copy = await (await loadPGlite()).create({ loadDataDir: dump });
  try {
    return await copy.transaction((tx) => collectDatabaseFacts(async (text, params) => (await tx.query(text, params)).rows as never));
  } finally {
    await copy.close();
  }
}

/** Collects a verified plaintext stream into the Blob PGlite loads; nothing is loaded unless all of it authenticated. */
export async function collectDump(source: AsyncIterable<Buffer>): Promise<Blob> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of source) chunks.push(new Uint8Array(chunk));
  return new Blob(chunks);
}

export class EmbeddedRestoreRefused extends Error {}

/**
 * Restores into PACTUM_DATA_DIR/pglite, holding the data directory's lock (a running server is refused
 * like any other second process). An existing database with tables is refused unless `replace`; then it
 * is moved aside first and removed only once the restored copy opened.
 */
export async function restoreEmbedded(dataDir: string, source: AsyncIterable<Buffer>, options: { replace: boolean }): Promise<void> {
  const lock = acquireDataDirLock(dataDir, { command: 'pactum restore' });
  try {
    const dir = join(dataDir, 'pglite');
    const occupied = existsSync(dir) && readdirSync(dir).length > 0;
    if (occupied && (await embeddedHasTables(dir)) && !options.replace)
      throw new EmbeddedRestoreRefused(`the embedded database in ${dir} is not empty; restore over it with --force`);
    const dump = await collectDump(source);
    const aside = `${dir}.replaced-${Date.now()}`;
    if (occupied) await rename(dir, aside);
    try {
      const restored = await (await loadPGlite()).create(dir, { loadDataDir: dump });
      await restored.close();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (occupied) await rename(aside, dir);
      throw error;
    }
    if (occupied) await rm(aside, { recursive: true, force: true });
  } finally {
    lock.release();
  }
}

async function embeddedHasTables(dir: string): Promise<boolean> {
  const existing = await (await loadPGlite()).create(dir);
  try {
    const { rows } = await existing.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    return rows[0]!.n > 0;
  } finally {
    await existing.close();
  }
}
