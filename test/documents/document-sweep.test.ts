import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStorage } from '../../src/documents/local-storage.js';
import { createS3Storage } from '../../src/documents/s3-storage.js';
import { storageKey, type DocumentStorage } from '../../src/documents/storage.js';
import { referencedStorageKeys } from '../../src/documents/queries.js';
import { createDocumentSweep } from '../../src/documents/sweep.js';
import { asAppWithoutTenant, type Tx } from '../../src/db/tenant-context.js';
import { addMember, createGroup } from '../helpers/members.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { startFakeS3, type FakeS3 } from '../fakes/fake-s3.js';
import { createContract, pieces, samples, upload } from './helpers.js';

const HOUR = 3600;
const twoHoursAgo = () => new Date(Date.now() - 2 * HOUR * 1000);

function quietLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  return { logger, lines };
}

interface Engine {
  name: string;
  env(): Record<string, string>;
  storage(t: TestApp): DocumentStorage;
  /** Moves a blob's modification time back, as if it had been written that long ago. */
  age(t: TestApp, key: string, when: Date): void;
  exists(t: TestApp, key: string): boolean;
  /** A temporary file of an interrupted write, where the engine has such things. */
  leftover?(t: TestApp, tenantId: string, when: Date): string;
}

let s3: FakeS3;
const BUCKET = 'pactum-sweep';
const localEngine: Engine = {
  name: 'local disk',
  env: () => ({}),
  storage: (t) => createLocalStorage(join(t.config.dataDir, 'documents')),
  age: (t, key, when) => utimesSync(join(t.config.dataDir, 'documents', key), when, when),
  exists: (t, key) => existsSync(join(t.config.dataDir, 'documents', key)),
  leftover(t, tenantId, when) {
    const path = join(t.config.dataDir, 'documents', tenantId, `.upload-${randomBytes(8).toString('hex')}.tmp`);
    writeFileSync(path, 'half a blob');
    utimesSync(path, when, when);
    return path;
  },
};
const s3Engine: Engine = {
  name: 'S3 bucket',
  env: () => ({
    PACTUM_DOCUMENTS_S3_ENDPOINT: s3.url,
    PACTUM_DOCUMENTS_S3_BUCKET: BUCKET,
    PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE',
    PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
  }),
  storage: (t) => {
    if (t.config.documentStorage.kind !== 's3') throw new Error('expected S3 storage');
    return createS3Storage(t.config.documentStorage);
  },
  age: (_t, key, when) => void (s3.objects.get(`${BUCKET}/${key}`)!.lastModified = when),
  exists: (_t, key) => s3.objects.has(`${BUCKET}/${key}`),
};

beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(() => s3.close());

describe.each([localEngine, s3Engine])(`document orphan sweep, $name (${engineName})`, (engine) => {
  let t: TestApp;
  let company: Registered;
  let storage: DocumentStorage;
  beforeAll(async () => {
    t = await startTestApp(engine.env());
    company = await registerCompany(t);
    storage = engine.storage(t);
  });
  afterAll(() => t.close());

  const sweep = (holder = 'node-a') => {
    const { logger, lines } = quietLogger();
    return {
      job: createDocumentSweep({ kysely: t.db.database.kysely, storage, clock: () => new Date(), graceSeconds: HOUR, logger, holder }),
      lines,
    };
  };
  const uploaded = async (client: Registered['client'], contractId: string) => {
    const response = await upload(client, contractId, samples.pdf(randomBytes(4).toString('hex')));
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };

  it('removes old blobs without a row and old temporary files; keeps every referenced blob and everything recent', async () => {
    // Referenced blobs, all old: an open contract's, a restricted contract's that nobody but a member sees
    // (the job sees no tenant's rows through row-level security; the door must still see this one), and
    // another company's.
    const open = await createContract(company.client);
    const keptOpen = storageKey(company.tenantId, await uploaded(company.client, open));
    const member = await addMember(t, company);
    const group = await createGroup(t, company.tenantId, `Legal ${randomBytes(3).toString('hex')}`, [member.userId]);
    const restricted = await createContract(member.client, { groupIds: [group] });
    const keptRestricted = storageKey(company.tenantId, await uploaded(member.client, restricted));
    const other = await registerCompany(t);
    const keptOther = storageKey(other.tenantId, await uploaded(other.client, await createContract(other.client)));

    const orphanOld = storageKey(company.tenantId, randomUUID());
    const orphanRecent = storageKey(other.tenantId, randomUUID());
    for (const key of [orphanOld, orphanRecent]) await storage.put(key, pieces(Buffer.from('PDOC\x02 no row for me')));
    for (const key of [keptOpen, keptRestricted, keptOther, orphanOld]) engine.age(t, key, twoHoursAgo());
    const oldLeftover = engine.leftover?.(t, company.tenantId, twoHoursAgo());
    const recentLeftover = engine.leftover?.(t, company.tenantId, new Date());

    const { job, lines } = sweep();
    const result = await job.runOnce();
    expect(result).toEqual({ ran: true, removedBlobs: 1, removedLeftovers: engine.leftover ? 1 : 0 });
    expect(engine.exists(t, orphanOld)).toBe(false);
    for (const key of [keptOpen, keptRestricted, keptOther, orphanRecent]) expect(engine.exists(t, key), key).toBe(true);
    if (oldLeftover && recentLeftover) {
      expect(existsSync(oldLeftover)).toBe(false);
      expect(existsSync(recentLeftover)).toBe(true);
    }
    expect(lines.join('')).toContain(orphanOld);
    // Every kept document still downloads.
    expect((await company.client.get(`/api/v1/documents/${keptOpen.split('/')[1]}`)).statusCode).toBe(200);
    expect((await member.client.get(`/api/v1/documents/${keptRestricted.split('/')[1]}`)).statusCode).toBe(200);
    await job.release();
  });

  it('runs on one node at a time: while one node sweeps, another does nothing; the lease is free again after the run', async () => {
    // Node A's run is held open inside its storage listing, so node B tries while A holds the lease.
    let listingStarted!: () => void;
    const started = new Promise<void>((resolve) => (listingStarted = resolve));
    let finishListing!: () => void;
    const finish = new Promise<void>((resolve) => (finishListing = resolve));
    const held: DocumentStorage = {
      ...storage,
      async *list() {
        listingStarted();
        await finish;
        yield* storage.list();
      },
    };
    const { logger } = quietLogger();
    const a = createDocumentSweep({
      kysely: t.db.database.kysely,
      storage: held,
      clock: () => new Date(),
      graceSeconds: HOUR,
      logger,
      holder: 'node-a',
    });
    const b = sweep('node-b');
    const runOfA = a.runOnce();
    await started;
    expect(await b.job.runOnce()).toEqual({ ran: false, removedBlobs: 0, removedLeftovers: 0 });
    finishListing();
    expect((await runOfA).ran).toBe(true);
    // A killed node would never release; a finished run must, so the next start can sweep at once.
    expect((await b.job.runOnce()).ran).toBe(true);
    expect((await a.runOnce()).ran).toBe(true);
  });
});

describe(`pactum_referenced_document_keys (${engineName})`, () => {
  let t: TestApp;
  let company: Registered;
  beforeAll(async () => {
    t = await startTestApp();
    company = await registerCompany(t);
  });
  afterAll(() => t.close());

  /** Runs as the service does: as pactum_app with no tenant. */
  const asApp = <T>(work: (tx: Tx) => Promise<T>) => asAppWithoutTenant(t.db.database.kysely, work);

  it('answers, as pactum_app without a tenant, which of the named keys a row references — and nothing else', async () => {
    const contractId = await createContract(company.client);
    const id = (await upload(company.client, contractId, samples.pdf())).json().id as string;
    const real = storageKey(company.tenantId, id);
    const stranger = storageKey(randomUUID(), id);
    expect(await asApp((tx) => tx.selectFrom('documents').select('id').execute())).toEqual([]);
    expect(await asApp((tx) => referencedStorageKeys(tx, [real, stranger, storageKey(randomUUID(), randomUUID())]))).toEqual([real]);
  });

  it('refuses more than 1000 keys and anything that is not a storage key', async () => {
    await expect(
      asApp((tx) =>
        referencedStorageKeys(
          tx,
          Array.from({ length: 1001 }, () => storageKey(randomUUID(), randomUUID())),
        ),
      ),
    ).rejects.toThrow(/at most 1000/);
    await expect(asApp((tx) => referencedStorageKeys(tx, [`${randomUUID()}/../x`]))).rejects.toThrow(/storage keys only/);
    await expect(asApp((tx) => referencedStorageKeys(tx, ["x' OR true --"]))).rejects.toThrow(/storage keys only/);
  });
});
