import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupJob, dueSince, type BackupJob } from '../../src/backup/schedule.js';
import { takeBackup, type BackupSource } from '../../src/backup/service.js';
import { createDirTarget, type BackupTarget } from '../../src/backup/targets.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

const key = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'pactum-backup-schedule-'));
// A regular file where the backup directory should be: every write under it fails.
const blocked = join(dir, 'not-a-directory');
writeFileSync(blocked, '');
const good = createDirTarget(join(dir, 'backups'));
const broken = createDirTarget(join(blocked, 'backups'));

describe(`the scheduled backup and /readyz (${engineName})`, { timeout: 600_000 }, () => {
  let t: TestApp;
  let job: BackupJob | null = null;
  let now = new Date('2026-11-30T01:59:00Z');
  let target: BackupTarget = broken;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, { backupStatus: () => job?.status() ?? { lastSuccessAt: null, lastError: null } });
    const source: BackupSource = t.db.url
      ? { engine: 'postgres', ownerUrl: t.db.url }
      : { engine: 'embedded', dumpDataDir: () => t.db.database.dumpDataDir!() };
    job = createBackupJob({
      kysely: t.db.database.kysely,
      clock: () => now,
      at: { hour: 2, minute: 0 },
      logger: t.app.log,
      retryAfterSeconds: 15 * 60,
      runBackup: async () => (await takeBackup(source, { target, key, clock: () => now })).id,
    });
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const readyBackup = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    return response.json().backup;
  };

  it('knows which day’s run is due', () => {
    expect(dueSince(new Date('2026-11-30T01:59:00Z'), { hour: 2, minute: 0 }).toISOString()).toBe('2026-11-29T02:00:00.000Z');
    expect(dueSince(new Date('2026-11-30T02:00:00Z'), { hour: 2, minute: 0 }).toISOString()).toBe('2026-11-30T02:00:00.000Z');
  });

  it('reports a failed run as lastError, retries it later, and reports the success that follows', async () => {
    expect(await readyBackup()).toEqual({ lastSuccessAt: null, lastError: null });

    // Before 02:00 yesterday's run is due (nothing ever succeeded): it runs, into the broken destination.
    expect(await job!.runOnce()).toBe(true);
    const failed = await readyBackup();
    expect(failed.lastSuccessAt).toBeNull();
    expect(failed.lastError).toMatch(/ENOTDIR|EEXIST|not a directory/);
    const errors = t.logs.filter((line) => line.includes('scheduled backup failed'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!).level).toBe(50);
    expect(t.logs.join('\n')).not.toContain(key.toString('base64'));

    // Not retried at once …
    now = new Date('2026-11-30T02:05:00Z');
    expect(await job!.runOnce()).toBe(false);
    // … but after the retry delay, now into a working destination.
    target = good;
    now = new Date('2026-11-30T02:15:00Z');
    expect(await job!.runOnce()).toBe(true);
    expect(await readyBackup()).toEqual({ lastSuccessAt: '2026-11-30T02:15:00.000Z', lastError: null });
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(['pactum-20261130T021500Z.archive', 'pactum-20261130T021500Z.manifest']);

    // Done for today: later ticks, on this node or another, do nothing until tomorrow's 02:00.
    now = new Date('2026-11-30T23:00:00Z');
    expect(await job!.runOnce()).toBe(false);
    const otherNode = createBackupJob({
      kysely: t.db.database.kysely,
      clock: () => now,
      at: { hour: 2, minute: 0 },
      logger: t.app.log,
      runBackup: async () => {
        throw new Error('must not run');
      },
    });
    expect(await otherNode.runOnce()).toBe(false);
    expect(otherNode.status()).toEqual({ lastSuccessAt: '2026-11-30T02:15:00.000Z', lastError: null });
  });

  it('runs on one node only while another holds the lease', async () => {
    now = new Date('2026-12-01T02:01:00Z');
    let release!: () => void;
    let runs = 0;
    const slow = createBackupJob({
      kysely: t.db.database.kysely,
      clock: () => now,
      at: { hour: 2, minute: 0 },
      logger: t.app.log,
      runBackup: async () => {
        runs += 1;
        await new Promise<void>((resolve) => (release = resolve));
        return 'pactum-20261201T020100Z';
      },
    });
    const first = slow.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await job!.runOnce()).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(runs).toBe(1);
  });
});
