import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokenLink } from '../audit/verify.js';
import { ConfigError, type Config } from '../config.js';
import { openEmbeddedDataDir } from '../db/engine.js';
import type { Query } from './database-facts.js';
import { compareAuditHeads } from './audit-against.js';
import { loadBackupConfig, requireBackupSetup } from './backup-config.js';
import { BackupIntegrityError } from './archive-cipher.js';
import { EmbeddedRestoreRefused } from './embedded-engine.js';
import { readManifest } from './manifest.js';
import { BackupEngineError } from './postgres-engine.js';
import {
  applyRetention,
  listBackups,
  resolveBackup,
  restoreBackup,
  takeBackup,
  verifyBackup,
  BackupRefusedError,
  type BackupSource,
} from './service.js';
import { BackupNotFoundError, createBackupTarget } from './targets.js';

export const BACKUP_HELP = `Usage: pactum backup               take a backup now, then apply retention
       pactum backup list          list the backups in the destination, newest first
       pactum backup verify <backup|latest>
                                   restore into a scratch database and compare with the manifest

A backup is a consistent dump — pg_dump's custom format (compressed) for PostgreSQL, the embedded engine's
own data-directory copy (gzip) for PGlite — encrypted with AES-256-GCM under PACTUM_BACKUP_KEY in
authenticated segments, stored as <id>.archive in PACTUM_BACKUP_DIR or the S3 bucket
(PACTUM_BACKUP_S3_*), then read back and its SHA-256 checked, then described by <id>.manifest (also
encrypted): time, engine, schema version, sizes, SHA-256, each table's row count and checksum, and each
tenant's audit-chain head. Ids look like pactum-20261130T020000Z.
PostgreSQL: runs as the owner (PACTUM_MIGRATION_DATABASE_URL, default PACTUM_DATABASE_URL); pg_dump of the
server's version is taken from /usr/lib/postgresql/<major>/bin, else PATH. Embedded: needs the data
directory to itself — while \`pactum serve\` runs on it, that server takes the daily backup instead.
Retention keeps the newest backup of each of the last PACTUM_BACKUP_KEEP_DAILY days (30) and of each of
the last PACTUM_BACKUP_KEEP_MONTHLY months (12). \`pactum serve\` runs all this daily at PACTUM_BACKUP_AT
(02:00 UTC) on one node.
verify creates a scratch database on the same server (the owner needs CREATEDB; an in-memory engine for
embedded backups), restores into it, and exits 2 listing every table whose row count or checksum differs.
Exits 1 with a one-line reason when something fails (a wrong key or a damaged archive included).`;

export const RESTORE_HELP = `Usage: pactum restore <backup|latest> [--force]

Restores a backup (see \`pactum backup --help\`) into the database of PACTUM_MIGRATION_DATABASE_URL
(default PACTUM_DATABASE_URL), or into PACTUM_DATA_DIR for the embedded engine, after checking it
authenticates under PACTUM_BACKUP_KEY and matches its manifest's SHA-256. PostgreSQL restores in one
transaction (nothing is left behind if any check fails) and creates the pactum_app role if the server
lacks it; give it a login afterwards as after \`pactum migrate\`.
The database must be empty: one with tables is refused unless --force, which replaces the objects the
backup contains (embedded: the whole database, moved aside until the restored copy opens).
Exits 0 when restored, 1 with a one-line reason otherwise.`;

/** The owner's server connection, or null for the embedded engine. */
function ownerUrlOf(config: Config): string | null {
  return config.migrationDatabaseUrl ?? config.databaseUrl;
}

async function setup() {
  const config = requireBackupSetup(loadBackupConfig());
  return { ...config, target: await createBackupTarget(config.target) };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** A live line on stderr while a terminal watches; nothing when output goes to a file or a pipe. */
function terminalProgress(label: string): { update(bytes: number): void; end(): void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { update() {}, end() {} };
  let last = 0;
  return {
    update(bytes) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      stream.write(`\r${label}: ${mib(bytes)} dumped`);
    },
    end() {
      stream.write('\r\x1b[K');
    },
  };
}

function print(text: string) {
  process.stdout.write(`${text}\n`);
}

export async function runBackupCommand(config: Config, args: string[]): Promise<number> {
  const [sub, reference, ...extra] = args;
  if (sub === undefined) return backupNow(config);
  if (sub === 'list' && reference === undefined) return list();
  if (sub === 'verify' && reference !== undefined && extra.length === 0) return verify(config, reference);
  throw new ConfigError('usage: pactum backup [list | verify <backup|latest>]');
}

async function backupNow(config: Config): Promise<number> {
  const { key, target, keepDaily, keepMonthly } = await setup();
  const ownerUrl = ownerUrlOf(config);
  const progress = terminalProgress('backup');
  const run = async (source: BackupSource) => {
    try {
      return await takeBackup(source, { target, key, clock: () => new Date(), onProgress: progress.update });
    } finally {
      progress.end();
    }
  };
  let manifest;
  if (ownerUrl) {
    manifest = await run({ engine: 'postgres', ownerUrl });
  } else {
    if (!existsSync(join(config.dataDir, 'pglite'))) throw new ConfigError(`there is no embedded database in ${config.dataDir} to back up`);
    const database = await openEmbeddedDataDir(config.dataDir, 'pactum backup');
    try {
      manifest = await run({ engine: 'embedded', dumpDataDir: () => database.dumpDataDir!() });
    } finally {
      await database.close();
    }
  }
  const removed = await applyRetention(target, new Date(), keepDaily, keepMonthly);
  print(
    `Backup ${manifest.id} stored in ${target.description}: ${mib(manifest.archive.size)} (dump ${mib(manifest.dump.size)}), ` +
      `${manifest.tables.length} tables, ${manifest.auditHeads.length} audit trails, SHA-256 ${manifest.archive.sha256}.` +
      (removed.length > 0 ? ` Retention removed ${removed.join(', ')}.` : ''),
  );
  return 0;
}

async function list(): Promise<number> {
  const { key, target } = await setup();
  const backups = await listBackups(target, key);
  if (backups.length === 0) {
    print(`No backups in ${target.description}.`);
    return 0;
  }
  for (const backup of backups) {
    const m = backup.manifest;
    print(
      m
        ? `${backup.id}  ${m.engine}  schema ${m.schemaVersion}  ${mib(backup.archiveSize)}  ${m.tables.length} tables  ${m.auditHeads.length} audit trails`
        : `${backup.id}  unreadable: ${backup.problem}`,
    );
  }
  return 0;
}

async function verify(config: Config, reference: string): Promise<number> {
  const { key, target } = await setup();
  const id = await resolveBackup(target, reference);
  const ownerUrl = ownerUrlOf(config);
  const { manifest, differences } = await verifyBackup(target, key, id, ownerUrl ? { ownerUrl } : null);
  if (differences.length === 0) {
    const rows = manifest.tables.reduce((sum, table) => sum + BigInt(table.rows), 0n);
    print(`Backup ${id} verified: restored ${manifest.tables.length} tables, ${rows} rows, every count and checksum as recorded.`);
    return 0;
  }
  for (const difference of differences) print(difference);
  process.stderr.write(`pactum: backup ${id} does not restore to what its manifest recorded (${differences.length} differences)\n`);
  return 2;
}

export async function runRestoreCommand(config: Config, args: string[], options: { force: boolean }): Promise<number> {
  if (args.length !== 1) throw new ConfigError('usage: pactum restore <backup|latest> [--force]');
  const { key, target } = await setup();
  const id = await resolveBackup(target, args[0]!);
  const ownerUrl = ownerUrlOf(config);
  const manifest = await restoreBackup(
    target,
    key,
    id,
    ownerUrl ? { engine: 'postgres', ownerUrl } : { engine: 'embedded', dataDir: config.dataDir },
    options,
  );
  print(`Restored ${manifest.id} (taken ${manifest.createdAt}, schema ${manifest.schemaVersion}, ${manifest.tables.length} tables).`);
  return 0;
}

/** For `pactum audit verify --against`: the recorded heads of one backup, and how to compare them. */
export async function auditHeadsCheck(reference: string): Promise<{ backupId: string; check(query: Query): Promise<BrokenLink[]> }> {
  const { key, target } = await setup();
  const backupId = await resolveBackup(target, reference);
  const manifest = await readManifest(target, key, backupId);
  return { backupId, check: (query) => compareAuditHeads(query, manifest) };
}

/** Failures the command line reports as a one-line reason (not as an unexpected error). */
export function isBackupError(error: unknown): boolean {
  return (
    error instanceof BackupIntegrityError ||
    error instanceof BackupRefusedError ||
    error instanceof BackupNotFoundError ||
    error instanceof BackupEngineError ||
    error instanceof EmbeddedRestoreRefused
  );
}
