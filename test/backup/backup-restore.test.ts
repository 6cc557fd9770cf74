import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupIntegrityError } from '../../src/backup/archive-cipher.js';
import { compareAuditHeads } from '../../src/backup/audit-against.js';
import { collectDatabaseFacts, type DatabaseFacts, type Query } from '../../src/backup/database-facts.js';
import { archiveName, storeManifest, type BackupManifest } from '../../src/backup/manifest.js';
import { postgresFacts, postgresHasTables } from '../../src/backup/postgres-engine.js';
import {
  BackupRefusedError,
  restoreBackup,
  takeBackup,
  verifyBackup,
  type BackupSource,
  type RestoreDestination,
} from '../../src/backup/service.js';
import { createDirTarget } from '../../src/backup/targets.js';
import { createDemoCompany } from '../../src/demo.js';
import { createTestDatabase, engineName, serverUrl, type TestDatabase } from '../helpers/test-database.js';

const key = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'pactum-backup-test-'));
const target = createDirTarget(join(dir, 'backups'));
let tick = 0;
/** Each backup a second after the last, so every test has its own backup id. */
const clock = () => new Date(Date.UTC(2026, 10, 30, 2, 0, tick++));

let db: TestDatabase;
let source: BackupSource;
const cleanups: Array<() => Promise<void>> = [];

/** The facts of the source as it is now: computed straight from its tables, not from any dump. */
async function sourceFacts(): Promise<DatabaseFacts> {
  if (db.url) return postgresFacts(db.url);
  return db.database.withScriptSession(async (session) => {
    await session.query('BEGIN');
    try {
      return await collectDatabaseFacts(session.query as Query);
    } finally {
      await session.query('COMMIT');
    }
  });
}

const CONTENT =
  'SELECT c.title, c.ends_on::text AS ends_on, v.name AS vendor FROM contracts c JOIN vendors v ON v.id = c.vendor_id ORDER BY c.title, c.id';

/** A fresh, empty destination on the engine under test, with a way to read it back. */
async function emptyDestination(): Promise<{
  destination: RestoreDestination;
  facts(): Promise<DatabaseFacts>;
  content(): Promise<unknown[]>;
  isEmpty(): Promise<boolean>;
}> {
  if (serverUrl) {
    const name = `pactum_restore_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: serverUrl! });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    });
    const read = async (text: string) => {
      const client = new pg.Client({ connectionString: url.href });
      await client.connect();
      try {
        return (await client.query(text)).rows;
      } finally {
        await client.end();
      }
    };
    return {
      destination: { engine: 'postgres', ownerUrl: url.href },
      facts: () => postgresFacts(url.href),
      content: () => read(CONTENT),
      isEmpty: async () => !(await postgresHasTables(url.href)),
    };
  }
  const dataDir = mkdtempSync(join(dir, 'restore-'));
  const withCopy = async <T>(work: (copy: PGlite) => Promise<T>) => {
    const copy = await PGlite.create(join(dataDir, 'pglite'));
    try {
      return await work(copy);
    } finally {
      await copy.close();
    }
  };
  return {
    destination: { engine: 'embedded', dataDir },
    facts: () =>
      withCopy((copy) =>
        copy.transaction((tx) => collectDatabaseFacts(async (text, params) => (await tx.query(text, params)).rows as never)),
      ),
    content: () => withCopy(async (copy) => (await copy.query(CONTENT)).rows),
    isEmpty: () =>
      withCopy(
        async (copy) =>
          (await copy.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]!.n === 0,
      ),
  };
}

async function seedAuditTrails(): Promise<[string, string]> {
  const tenants: string[] = [];
  for (const name of ['Trail One AG', 'Trail Two AG']) {
    const [tenant] = await db.asOwner<{ id: string }>(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), $1) RETURNING id::text`, [
      name,
    ]);
    for (const action of ['test.one', 'test.two', 'test.three'])
      await db.asOwner(`INSERT INTO audit_events (tenant_id, action, outcome) VALUES ($1, $2, 'success')`, [tenant!.id, action]);
    tenants.push(tenant!.id);
  }
  return tenants as [string, string];
}

function flipByte(file: string, at: number) {
  const bytes = readFileSync(file);
  bytes[at]! ^= 0x20;
  writeFileSync(file, bytes);
}

describe(`backup and restore (${engineName})`, { timeout: 600_000 }, () => {
  let trails: [string, string];

  beforeAll(async () => {
    db = await createTestDatabase();
    await createDemoCompany(db.database, { today: '2026-11-30' });
    trails = await seedAuditTrails();
    source = db.url ? { engine: 'postgres', ownerUrl: db.url } : { engine: 'embedded', dumpDataDir: () => db.database.dumpDataDir!() };
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores exactly the data that was backed up, and verify finds every count and checksum as recorded', async () => {
    const before = await sourceFacts();
    const manifest = await takeBackup(source, { target, key, clock });
    expect(manifest.engine).toBe(engineName);
    expect(manifest.schemaVersion).toBeGreaterThanOrEqual(17);
    expect(manifest.tables).toEqual(before.tables);
    expect(manifest.auditHeads.map((head) => head.tenantId)).toEqual(expect.arrayContaining(trails));
    expect(Number(manifest.tables.find((table) => table.name === 'contracts')!.rows)).toBeGreaterThan(0);

    const restored = await emptyDestination();
    await restoreBackup(target, key, manifest.id, restored.destination, { force: false });
    expect((await restored.facts()).tables).toEqual(before.tables);
    const contracts = await restored.content();
    expect(contracts.length).toBeGreaterThan(5);
    expect(contracts).toEqual(await db.asOwner(CONTENT));

    const { differences } = await verifyBackup(target, key, manifest.id, db.url ? { ownerUrl: db.url } : null);
    expect(differences).toEqual([]);

    // A second restore onto the now filled database is refused; --force replaces it.
    await expect(restoreBackup(target, key, manifest.id, restored.destination, { force: false })).rejects.toThrow(/not empty/);
    await restoreBackup(target, key, manifest.id, restored.destination, { force: true });
    expect((await restored.facts()).tables).toEqual(before.tables);
  });

  it('verify reports a table whose restored content differs from the manifest', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const forged: BackupManifest = {
      ...manifest,
      tables: manifest.tables.map((table) => (table.name === 'vendors' ? { ...table, rows: String(Number(table.rows) + 1) } : table)),
    };
    await storeManifest(target, key, forged);
    const { differences } = await verifyBackup(target, key, manifest.id, db.url ? { ownerUrl: db.url } : null);
    expect(differences).toEqual([expect.stringMatching(/^table vendors: recorded \d+ rows, restored \d+$/)]);
  });

  it('refuses a tampered archive and leaves the destination empty', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    flipByte(join(dir, 'backups', archiveName(manifest.id)), Math.floor(manifest.archive.size / 2));
    const restored = await emptyDestination();
    await expect(restoreBackup(target, key, manifest.id, restored.destination, { force: false })).rejects.toThrow(BackupIntegrityError);
    expect(await restored.isEmpty()).toBe(true);
    await expect(verifyBackup(target, key, manifest.id, db.url ? { ownerUrl: db.url } : null)).rejects.toThrow(BackupIntegrityError);
  });

  it('refuses a truncated archive and leaves the destination empty', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const file = join(dir, 'backups', archiveName(manifest.id));
    // Cut at a segment boundary (1 MiB + tag after the 21-byte header) when the archive is that large, else mid-way.
    const cut = manifest.archive.size > 21 + 1_048_592 ? 21 + 1_048_592 : Math.floor(manifest.archive.size / 2);
    writeFileSync(file, readFileSync(file).subarray(0, cut));
    const restored = await emptyDestination();
    await expect(restoreBackup(target, key, manifest.id, restored.destination, { force: false })).rejects.toThrow(BackupIntegrityError);
    expect(await restored.isEmpty()).toBe(true);
  });

  it('refuses a wrong key before anything is restored', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const restored = await emptyDestination();
    await expect(restoreBackup(target, randomBytes(32), manifest.id, restored.destination, { force: false })).rejects.toThrow(
      /failed authentication: wrong PACTUM_BACKUP_KEY/,
    );
    expect(await restored.isEmpty()).toBe(true);
  });

  it('refuses to restore a backup into the other engine', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const other: RestoreDestination = serverUrl
      ? { engine: 'embedded', dataDir: mkdtempSync(join(dir, 'other-')) }
      : { engine: 'postgres', ownerUrl: 'postgres://nobody@127.0.0.1:9/none' };
    await expect(restoreBackup(target, key, manifest.id, other, { force: false })).rejects.toThrow(BackupRefusedError);
  });

  it('lets audit verify --against find a trail truncated at its end and one deleted whole since the backup', async () => {
    const manifest = await takeBackup(source, { target, key, clock });
    const owner: Query = (text, params) => db.asOwner(text, params) as never;
    expect(await compareAuditHeads(owner, manifest)).toEqual([]);

    // Growth since the backup is fine.
    await db.asOwner(`INSERT INTO audit_events (tenant_id, action, outcome) VALUES ($1, 'test.four', 'success')`, [trails[0]]);
    expect(await compareAuditHeads(owner, manifest)).toEqual([]);

    // Cut back below the recorded head (the chain that is left is still a valid chain), and delete the other trail.
    await db.asOwner(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq >= 3`, [trails[0]]);
    await db.asOwner(`DELETE FROM audit_events WHERE tenant_id = $1`, [trails[1]]);
    const broken = await compareAuditHeads(owner, manifest);
    expect(broken).toEqual(
      expect.arrayContaining([
        { tenantId: trails[0], seq: '3', reason: expect.stringMatching(/truncated .* now ends at seq 2, the backup recorded seq 3/) },
        { tenantId: trails[1], seq: '3', reason: expect.stringMatching(/whole trail was deleted/) },
      ]),
    );
  });
});
