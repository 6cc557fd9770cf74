import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/engine.js';
import type { Schema } from '../db/schema.js';
import { asAppWithoutTenant } from '../db/tenant-context.js';
import type { JobLogger } from '../reminders/job.js';
import { releaseLease, takeLease } from '../reminders/queries.js';
import { startScheduler, type Scheduler } from '../reminders/scheduler.js';
import { requireBackupSetup, type BackupConfig } from './backup-config.js';
import { applyRetention, takeBackup, type BackupSource } from './service.js';
import { createBackupTarget } from './targets.js';

export const BACKUP_LEASE = 'backup';

/** What /readyz shows (API.md). */
export interface BackupStatus {
  lastSuccessAt: string | null;
  lastError: string | null;
}

interface StatusRow {
  last_success_at: Date | string | null;
  last_error: string | null;
  last_attempt_at: Date | string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

async function readStatus(kysely: Kysely<Schema>): Promise<StatusRow | null> {
  return asAppWithoutTenant(kysely, async (tx) => {
    const { rows } = await sql<StatusRow>`SELECT last_success_at, last_error, last_attempt_at FROM pactum_backup_status()`.execute(tx);
    return rows[0] ?? null;
  });
}

async function recordAttempt(kysely: Kysely<Schema>, at: Date, backupId: string | null, error: string | null): Promise<void> {
  await asAppWithoutTenant(kysely, (tx) => sql`SELECT pactum_record_backup(${at}, ${backupId}, ${error})`.execute(tx));
}

export interface BackupJobDeps {
  kysely: Kysely<Schema>;
  /** Takes one backup and applies retention; returns the backup's id. */
  runBackup: () => Promise<string>;
  clock: () => Date;
  /** The daily run, UTC. */
  at: { hour: number; minute: number };
  logger: JobLogger;
  /** A failed run is tried again after this long (the same day). */
  retryAfterSeconds?: number;
  holder?: string;
  leaseSeconds?: number;
}

export interface BackupJob {
  /** Runs the backup if today's is due and not done (and this node holds the lease); true if it ran. */
  runOnce(): Promise<boolean>;
  release(): Promise<void>;
  /** The last known outcome, refreshed from the database by every tick: /readyz reads it without a query. */
  status(): BackupStatus;
}

/** Today's scheduled moment, or yesterday's if today's has not come yet: the run that is due. */
export function dueSince(now: Date, at: { hour: number; minute: number }): Date {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), at.hour, at.minute));
  return today.getTime() <= now.getTime() ? today : new Date(today.getTime() - 86_400_000);
}

/**
 * The daily backup inside `serve`. Every node ticks; the one holding the 'backup' lease runs it once the
 * scheduled time has passed and no success since then is recorded. A failure is logged as an error and
 * recorded (so every node's /readyz shows it), then retried after `retryAfterSeconds`. The outcome lives in
 * the database (migration 0017), so a node started later or another node reports the same.
 */
export function createBackupJob(deps: BackupJobDeps): BackupJob {
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${randomUUID()}`.slice(0, 200);
  const leaseSeconds = deps.leaseSeconds ?? 6 * 60 * 60;
  const retryMs = (deps.retryAfterSeconds ?? 15 * 60) * 1000;
  let known: BackupStatus = { lastSuccessAt: null, lastError: null };

  const refresh = async (): Promise<StatusRow | null> => {
    const row = await readStatus(deps.kysely);
    known = { lastSuccessAt: iso(row?.last_success_at ?? null), lastError: row?.last_error ?? null };
    return row;
  };

  const isDue = (row: StatusRow | null, now: Date): boolean => {
    const since = dueSince(now, deps.at).getTime();
    if (row?.last_success_at && new Date(row.last_success_at).getTime() >= since) return false;
    if (row?.last_error && row.last_attempt_at && now.getTime() - new Date(row.last_attempt_at).getTime() < retryMs) return false;
    return true;
  };

  const release = () => asAppWithoutTenant(deps.kysely, (tx) => releaseLease(tx, BACKUP_LEASE, holder));

  return {
    status: () => known,
    release,
    async runOnce() {
      const row = await refresh();
      if (!isDue(row, deps.clock())) return false;
      if (!(await asAppWithoutTenant(deps.kysely, (tx) => takeLease(tx, BACKUP_LEASE, holder, leaseSeconds)))) return false;
      try {
        // Another node may have finished it while we waited for the lease.
        if (!isDue(await refresh(), deps.clock())) return false;
        try {
          const id = await deps.runBackup();
          await recordAttempt(deps.kysely, deps.clock(), id, null);
          deps.logger.info({ backupId: id }, 'scheduled backup stored');
        } catch (error) {
          // The message names what failed (pg_dump's reason, the destination's answer); it carries no key or password.
          const reason = error instanceof Error ? error.message : String(error);
          await recordAttempt(deps.kysely, deps.clock(), null, reason);
          deps.logger.error({ reason, retryInSeconds: retryMs / 1000 }, 'scheduled backup failed; it will be retried');
        }
        await refresh();
        return true;
      } finally {
        await release().catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'could not release the backup lease; it expires by itself'),
        );
      }
    },
  };
}

/** What `pactum serve` starts when a destination and key are configured: a tick every minute. */
export function startBackupScheduler(job: BackupJob, logger: JobLogger): Scheduler {
  return startScheduler({ job, logger, intervalMs: 60_000, name: 'scheduled backup' });
}

/**
 * The daily backup of a serving node: the open embedded engine's own copy (no second process could open
 * its data directory), or pg_dump as the owner (PACTUM_MIGRATION_DATABASE_URL, else PACTUM_DATABASE_URL).
 * null when no destination is configured: then nothing runs and /readyz reports `backup: null`.
 */
export async function startServeBackups(options: {
  config: Config;
  backup: BackupConfig;
  database: Database;
  logger: JobLogger;
}): Promise<{ job: BackupJob; scheduler: Scheduler } | null> {
  const { config, backup, database, logger } = options;
  if (!backup.target || !backup.key) return null;
  const setup = requireBackupSetup(backup);
  const target = await createBackupTarget(setup.target);
  const ownerUrl = config.migrationDatabaseUrl ?? config.databaseUrl;
  const source: BackupSource =
    database.engine === 'embedded'
      ? { engine: 'embedded', dumpDataDir: () => database.dumpDataDir!() }
      : { engine: 'postgres', ownerUrl: ownerUrl! };
  const clock = () => new Date();
  const job = createBackupJob({
    kysely: database.kysely,
    clock,
    at: setup.at,
    logger,
    runBackup: async () => {
      const manifest = await takeBackup(source, { target, key: setup.key, clock });
      const removed = await applyRetention(target, clock(), setup.keepDaily, setup.keepMonthly);
      if (removed.length > 0) logger.info({ removed }, 'backup retention removed old backups');
      return manifest.id;
    },
  });
  return { job, scheduler: startBackupScheduler(job, logger) };
}
