import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackupConfig } from '../../src/backup/backup-config.js';
import { backupIdAt } from '../../src/backup/retention.js';
import { createS3Target } from '../../src/backup/s3-target.js';
import { applyRetention, listBackups, takeBackup, verifyBackup, type BackupSource } from '../../src/backup/service.js';
import type { BackupTarget } from '../../src/backup/targets.js';
import { startFakeS3, type FakeS3 } from '../fakes/fake-s3.js';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';

const key = randomBytes(32);
let s3: FakeS3;
let db: TestDatabase;
let target: BackupTarget;
let source: BackupSource;
let tick = 0;
const clock = () => new Date(Date.UTC(2026, 10, 30, 2, 0, tick++));

/** The target as `serve` would build it from the environment. */
function targetFromEnvironment(prefix: string) {
  const config = loadBackupConfig({
    PACTUM_BACKUP_KEY: key.toString('base64'),
    PACTUM_BACKUP_S3_BUCKET: 'pactum-backups',
    PACTUM_BACKUP_S3_ENDPOINT: s3.url,
    PACTUM_BACKUP_S3_PREFIX: prefix,
    PACTUM_BACKUP_S3_ACCESS_KEY_ID: 'test-access-key',
    PACTUM_BACKUP_S3_SECRET_ACCESS_KEY: 'test-secret-key',
  });
  if (config.target?.kind !== 's3') throw new Error('expected an S3 target');
  return createS3Target(config.target);
}

describe(`backups in S3-compatible storage (${engineName})`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    s3 = await startFakeS3();
    db = await createTestDatabase();
    await db.asOwner(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Bucket AG')`);
    target = targetFromEnvironment('nightly/pactum');
    source = db.url ? { engine: 'postgres', ownerUrl: db.url } : { engine: 'embedded', dumpDataDir: () => db.database.dumpDataDir!() };
  }, 300_000);

  afterAll(async () => {
    await db?.drop();
    await s3?.close();
  });

  it('uploads the archive whose stored SHA-256 is the manifest’s, and restores it into a scratch database', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const stored = s3.objects.get(`pactum-backups/nightly/pactum/${manifest.archive.name}`);
    expect(stored).toBeDefined();
    expect(stored!.sha256).toBe(manifest.archive.sha256);
    expect(stored!.bytes.length).toBe(manifest.archive.size);
    // No aws-chunked framing stored with it: the object is exactly the sealed archive.
    expect(stored!.bytes.subarray(0, 4).toString('latin1')).toBe('PBAK');
    expect(s3.objects.has(`pactum-backups/nightly/pactum/${manifest.id}.manifest`)).toBe(true);

    const listed = await listBackups(target, key);
    expect(listed.map((backup) => backup.id)).toContain(manifest.id);
    const { differences } = await verifyBackup(target, key, manifest.id, db.url ? { ownerUrl: db.url } : null);
    expect(differences).toEqual([]);
  });

  it('fails the backup when what the bucket stored differs from what was sent', async () => {
    // A store that corrupts one byte on the way, as a misbehaving proxy or server might.
    const corrupting: BackupTarget = {
      ...target,
      async put(name, body) {
        async function* flipped() {
          let flippedOne = false;
          for await (const chunk of body) {
            const copy = Buffer.from(chunk);
            if (!flippedOne && copy.length > 30) {
              copy[30]! ^= 0xff;
              flippedOne = true;
            }
            yield copy;
          }
        }
        return target.put(name, flipped());
      },
    };
    const before = s3.objects.size;
    await expect(takeBackup(source, { target: corrupting, key, clock })).rejects.toThrow(/differs from what was sent/);
    // Nothing of the failed run is left behind, and no manifest was written.
    expect(s3.objects.size).toBe(before);
  });

  it('sends a large archive in several parts and stores it byte for byte', async () => {
    const bytes = randomBytes(20 * 1024 * 1024 + 123);
    const name = `${backupIdAt(new Date('2026-01-02T03:04:05Z'))}.archive`;
    const requestsBefore = s3.requests.length;
    await target.put(
      name,
      (async function* () {
        for (let offset = 0; offset < bytes.length; offset += 1024 * 1024) yield bytes.subarray(offset, offset + 1024 * 1024);
      })(),
    );
    const requests = s3.requests.slice(requestsBefore).filter((request) => request.key.endsWith(name));
    expect(requests.filter((request) => request.method === 'PUT').length).toBeGreaterThanOrEqual(2);
    expect(requests.filter((request) => request.method === 'POST').length).toBe(2);
    expect(s3.objects.get(`pactum-backups/nightly/pactum/${name}`)!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    await target.delete(name);
  });

  it('applies retention to the objects under its prefix only', async () => {
    const dated = targetFromEnvironment('retention');
    const now = new Date('2026-11-30T03:00:00Z');
    const ids = [0, 1, 2, 3].map((days) => backupIdAt(new Date(now.getTime() - days * 86_400_000 - 3_600_000)));
    for (const id of ids) {
      await dated.put(`${id}.archive`, [Buffer.from('a')]);
      await dated.put(`${id}.manifest`, [Buffer.from('m')]);
    }
    const elsewhere = s3.objects.size;
    const removed = await applyRetention(dated, now, 2, 0);
    expect(removed.sort()).toEqual(ids.slice(2).sort());
    const left = [...s3.objects.keys()].filter((name) => name.startsWith('pactum-backups/retention/')).sort();
    expect(left).toEqual(
      ids
        .slice(0, 2)
        .flatMap((id) => [`pactum-backups/retention/${id}.archive`, `pactum-backups/retention/${id}.manifest`])
        .sort(),
    );
    expect(s3.objects.size).toBe(elsewhere - 4);
  });
});
