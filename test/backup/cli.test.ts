import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '../../src/db/data-dir-lock.js';
import { runCommand, type CommandResult } from '../helpers/run-command.js';
import { createTestDatabase, engineName, serverUrl, type TestDatabase } from '../helpers/test-database.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pactum-backup-cli-'));
const backupDir = join(dir, 'backups');
const key = randomBytes(32).toString('base64');

/** The real command line, with nothing from the caller's environment that configures Pactum. */
function pactum(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|STRIPE_|NODE_ENV$|VITEST)/.test(name)),
  );
  return runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...base, PACTUM_DATA_DIR: join(dir, 'data'), ...env },
    timeoutMs: 120_000,
  });
}

const oneLine = (result: CommandResult) => result.stderr.split('\n').filter((line) => line !== '');

describe(`pactum backup and restore on the command line (${engineName})`, { timeout: 600_000 }, () => {
  let db: TestDatabase | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { PACTUM_BACKUP_DIR: backupDir, PACTUM_BACKUP_KEY: key };
    if (serverUrl) {
      db = await createTestDatabase();
      await db.asOwner(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'CLI Backup AG')`);
      env.PACTUM_MIGRATION_DATABASE_URL = db.url!;
      env.PACTUM_DATABASE_URL = db.appUrl!;
    } else {
      const migrated = await pactum(['migrate']);
      expect(migrated.status, migrated.stderr).toBe(0);
    }
  }, 300_000);

  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints help and refuses what is missing or misused in one line', async () => {
    for (const command of ['backup', 'restore']) {
      const help = await pactum([command, '--help']);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain(`Usage: pactum ${command}`);
    }
    const main = await pactum(['--help']);
    expect(main.stdout).toMatch(/^\s+backup\s/m);
    expect(main.stdout).toMatch(/^\s+restore\s/m);
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['backup'], {}, /^pactum: PACTUM_BACKUP_KEY is required/],
      [['backup'], { PACTUM_BACKUP_DIR: backupDir }, /^pactum: a backup destination is set but PACTUM_BACKUP_KEY is not/],
      [['backup'], { PACTUM_BACKUP_KEY: 'c2hvcnQ=' }, /^pactum: PACTUM_BACKUP_KEY must be 32 random bytes/],
      [['backup', 'frobnicate'], env, /^pactum: usage: pactum backup/],
      [['restore'], env, /^pactum: usage: pactum restore/],
      [['backup', '--force'], env, /^pactum: --force is an option of restore only/],
      [['restore', 'pactum-20000101T000000Z'], env, /^pactum: no complete backup "pactum-20000101T000000Z"/],
    ];
    for (const [args, extra, message] of cases) {
      const refused = await pactum(args, extra);
      expect(refused.status, `${args.join(' ')}: ${refused.stderr}`).toBe(1);
      expect(oneLine(refused), args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });

  it('backs up, lists, verifies, refuses a damaged archive and restores into an empty database', async () => {
    const taken = await pactum(['backup'], env);
    expect(taken.status, taken.stderr).toBe(0);
    const id = /^Backup (pactum-\d{8}T\d{6}Z) stored in /.exec(taken.stdout)?.[1];
    expect(id, taken.stdout).toBeDefined();

    const listed = await pactum(['backup', 'list'], env);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  ${engineName}  schema \\d+`, 'm'));

    const verified = await pactum(['backup', 'verify', 'latest'], env);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`Backup ${id} verified`);

    const wrongKey = await pactum(['backup', 'verify', 'latest'], { ...env, PACTUM_BACKUP_KEY: randomBytes(32).toString('base64') });
    expect(wrongKey.status).toBe(1);
    expect(oneLine(wrongKey)).toEqual([expect.stringMatching(/^pactum: backup .* failed authentication: wrong PACTUM_BACKUP_KEY/)]);

    // Restoring over the database the backup came from is refused without --force.
    const over = await pactum(['restore', id!], env);
    expect(over.status).toBe(1);
    expect(oneLine(over)).toEqual([expect.stringMatching(/not empty; restore over it with --force$/)]);

    // A copy with one byte changed is refused, and nothing is restored.
    const archive = join(backupDir, `${id}.archive`);
    const original = readFileSync(archive);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)]! ^= 1;
    writeFileSync(archive, damaged);
    const refused = await pactum(['backup', 'verify', id!], env);
    expect(refused.status).toBe(1);
    expect(oneLine(refused)).toEqual([expect.stringMatching(/^pactum: backup .*failed authentication|does not match its manifest/)]);
    writeFileSync(archive, original);

    if (serverUrl) {
      const fresh = await createTestDatabase();
      try {
        // createTestDatabase migrates; restore needs an empty database, so --force replaces what it holds.
        const restored = await pactum(['restore', 'latest', '--force'], {
          ...env,
          PACTUM_MIGRATION_DATABASE_URL: fresh.url!,
          PACTUM_DATABASE_URL: fresh.appUrl!,
        });
        expect(restored.status, restored.stderr).toBe(0);
        expect(await fresh.asOwner(`SELECT name FROM tenants`)).toEqual([{ name: 'CLI Backup AG' }]);
      } finally {
        await fresh.drop();
      }
    } else {
      const restored = await pactum(['restore', 'latest'], { ...env, PACTUM_DATA_DIR: join(dir, 'restored') });
      expect(restored.status, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`Restored ${id}`);
      expect(readdirSync(join(dir, 'restored', 'pglite'))).toContain('PG_VERSION');
    }
  });

  it.runIf(!serverUrl)('refuses in one line while a server holds the embedded data directory', async () => {
    const lock = acquireDataDirLock(join(dir, 'data'), { command: 'pactum serve' });
    try {
      const refused = await pactum(['backup'], env);
      expect(refused.status).toBe(1);
      expect(oneLine(refused)).toEqual([
        expect.stringMatching(/is in use by `pactum serve`.*a running server takes the daily backup itself/),
      ]);
    } finally {
      lock.release();
    }
  });
});
