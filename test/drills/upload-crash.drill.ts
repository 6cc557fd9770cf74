import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, send, type Session } from './support/load.js';
import { startPactum, type PactumProcess } from './support/pactum-process.js';
import { startDrill, type Drill } from './support/setup.js';

/**
 * Needs the orphan sweep of the documents-streaming work (issue 13 point 6): `pactum serve` sweeps at
 * start and hourly, removing `.upload-*.tmp` files and blobs without a row older than
 * PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS. Until that is merged this drill fails: nothing sweeps.
 */
const SWEEP_ENV = { PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS: '1' };
const UPLOADS = 6;
const UPLOAD_BYTES = 6 * 1024 * 1024;

/** A PDF-looking multipart upload, sent in slices so that some are still arriving when the node dies. */
function upload(session: Session, contractId: string, sliceDelayMs: number): Promise<number | string> {
  const boundary = `drill${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="contract.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, randomBytes(UPLOAD_BYTES), tail]);
  return new Promise((resolve) => {
    const req = httpRequest(new URL(`/api/v1/contracts/${contractId}/documents`, session.base), {
      method: 'POST',
      headers: {
        cookie: `pactum_session=${session.cookie}`,
        origin: session.origin,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': body.length,
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    void (async () => {
      const slice = 256 * 1024;
      for (let offset = 0; offset < body.length; offset += slice) {
        if (req.destroyed) return;
        req.write(body.subarray(offset, offset + slice));
        await sleep(sliceDelayMs);
      }
      req.end();
    })();
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(join(dir, name)).isFile());
}

describe('drill: kill -9 during uploads', () => {
  let drill: Drill;
  let restarted: PactumProcess | undefined;
  beforeAll(async () => {
    drill = await startDrill(SWEEP_ENV);
  });
  afterAll(async () => {
    await restarted?.stop();
    await drill?.close();
  });

  it('after a restart and one sweep: no temporary files, no blob without a row, every stored document intact', async () => {
    const vendor = await send(drill.session, 'POST', '/api/v1/vendors', { body: { name: 'Upload Vendor' } });
    const contract = await send(drill.session, 'POST', '/api/v1/contracts', {
      body: {
        vendorId: vendor.id,
        title: 'Uploaded contract',
        startsOn: '2025-01-01',
        endsOn: '2026-12-31',
        currency: 'EUR',
        lineItems: [],
      },
    });
    expect(contract.status).toBe(201);
    const stored = await upload(drill.session, contract.id!, 0);
    expect(stored).toBe(201);

    // Some uploads fast (likely inside storage.put() at the kill), some slow (still arriving).
    const inFlight = Array.from({ length: UPLOADS }, (_, i) => upload(drill.session, contract.id!, i % 2 === 0 ? 1 : 40));
    await sleep(1_200);
    drill.pactum.child.kill('SIGKILL');
    await drill.pactum.exited;
    const statuses = await Promise.all(inFlight);

    const documentsDir = join(drill.dataDir, 'documents');
    // What a crash at the worst moment leaves, whether or not this kill landed there: a half-written
    // temporary file, and a blob whose row was never committed.
    const someBlob = filesUnder(documentsDir).find((name) => !name.includes('.upload-'));
    expect(someBlob).toBeDefined();
    const tenantDir = join(documentsDir, someBlob!.split('/')[0]!);
    writeFileSync(join(tenantDir, `.upload-${randomBytes(8).toString('hex')}.tmp`), randomBytes(1024));
    copyFileSync(join(documentsDir, someBlob!), join(tenantDir, randomUUID()));
    await sleep(1_500);

    const rowsAndFiles = async () => {
      const client = new pg.Client({ connectionString: drill.cluster.url() });
      await client.connect();
      try {
        const keys = new Set(
          (await client.query<{ storage_key: string }>('SELECT storage_key FROM documents')).rows.map((r) => r.storage_key),
        );
        const files = filesUnder(documentsDir).map((name) => relative(documentsDir, join(documentsDir, name)));
        return {
          rows: keys.size,
          temporary: files.filter((name) => /(^|\/)\.upload-[^/]*\.tmp$/.test(name)).length,
          orphans: files.filter((name) => !/(^|\/)\.upload-/.test(name) && !keys.has(name)).length,
          missingBlobs: [...keys].filter((key) => !files.includes(key)).length,
        };
      } finally {
        await client.end();
      }
    };
    const beforeRestart = await rowsAndFiles();

    const restartAt = Date.now();
    restarted = await startPactum({
      databaseUrl: drill.cluster.url(),
      twilioUrl: drill.twilio.url,
      env: SWEEP_ENV,
      dataDir: drill.dataDir,
      masterKey: drill.masterKey,
    });
    const session = { ...drill.session, base: restarted.base, origin: restarted.origin };
    let afterSweep = await rowsAndFiles();
    while ((afterSweep.temporary > 0 || afterSweep.orphans > 0) && Date.now() - restartAt < 20_000) {
      await sleep(250);
      afterSweep = await rowsAndFiles();
    }
    const documents = await send(session, 'GET', `/api/v1/contracts/${contract.id}/documents`);
    report('kill -9 during uploads', {
      uploadsInFlight: UPLOADS,
      uploadOutcomes: statuses,
      beforeRestart,
      afterSweep,
      msFromRestartToClean: afterSweep.temporary === 0 && afterSweep.orphans === 0 ? Date.now() - restartAt : null,
      documentsListed: documents.status,
    });

    expect(afterSweep.temporary, 'no temporary files').toBe(0);
    expect(afterSweep.orphans, 'no blob without a row').toBe(0);
    expect(afterSweep.missingBlobs, 'no row lost its blob').toBe(0);
  });
});
