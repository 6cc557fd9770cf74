/**
 * The server side of bench:documents (bench/documents.ts starts it as a child process, so that its RSS is
 * the server's alone): the real app on a PostgreSQL database the parent created (or embedded PGlite), listening on 127.0.0.1, port 0, with a company,
 * a signed-in master and one 25 MiB PDF uploaded through the API. Reports { port, cookie, documentId,
 * blobPath, sha256 } to the parent over IPC and then serves until killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { openEmbedded, openPostgres } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';
import { buildApp } from '../src/http/app.js';
import { startFakeTwilio } from '../test/fakes/fake-twilio.js';

const PUBLIC_URL = 'http://localhost:3000';
const TWILIO = { accountSid: 'ACbench000000000000000000000000000', authToken: 'bench-twilio-token-docs' };
export const DOCUMENT_BYTES = 25 * 1024 * 1024;

async function main() {
  const twilio = await startFakeTwilio(TWILIO);
  // The parent names a fresh PostgreSQL database when it has a server; else embedded PGlite, whose
  // WebAssembly heap then counts in this process's RSS.
  const databaseUrl = process.env.BENCH_DOCUMENTS_DATABASE_URL;
  const database = databaseUrl ? await openPostgres(databaseUrl, 10) : await openEmbedded('memory://');
  await migrate(database);
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-bench-documents-'));
  const config = loadConfig({
    PACTUM_PUBLIC_URL: PUBLIC_URL,
    PACTUM_DATA_DIR: dataDir,
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    PACTUM_TWILIO_API_URL: twilio.url,
    PACTUM_LOG_LEVEL: 'warn',
    PACTUM_RATE_LIMIT_PER_MINUTE: '1000000',
    PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
    // All 80 readers are one user here: the per-user limit (4 by default) is raised so that the benchmark
    // measures what 80 streams cost, not how many 429 answers are.
    PACTUM_DOCUMENT_DOWNLOADS_PER_USER: process.env.BENCH_PER_USER ?? '100',
    PACTUM_DOCUMENT_DOWNLOADS_PER_NODE: process.env.BENCH_PER_NODE ?? '100',
  });
  const idle = process.memoryUsage().rss;
  // Errors only, to stderr: a failed answer in the benchmark must say why.
  const app = await buildApp({
    config,
    database,
    logStream: new Writable({
      write: (chunk, _encoding, done) => (String(chunk).includes('"level":50') ? process.stderr.write(chunk, () => done()) : done()),
    }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });

  const phone = '+41791234567';
  const signup = await app.inject({
    method: 'POST',
    url: '/api/v1/signup',
    payload: {
      companyName: 'Globex Procurement',
      name: 'Hank Scorpio',
      email: 'reader@example.com',
      phone,
      password: 'correct horse battery staple vault 42',
    },
  });
  if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.statusCode} ${signup.body}`);
  const verify = await app.inject({
    method: 'POST',
    url: `/api/v1/auth/challenges/${signup.json().challenge.id}/verify`,
    payload: { code: twilio.lastCodeFor(phone) },
  });
  const cookie = verify.cookies.find((c) => c.name === 'pactum_session')!.value;
  const tenantId = verify.json().tenant.id as string;
  const headers = { cookie: `pactum_session=${cookie}`, origin: PUBLIC_URL };
  const vendor = await app.inject({ method: 'POST', url: '/api/v1/vendors', headers, payload: { name: 'Bench Vendor' } });
  const contract = await app.inject({
    method: 'POST',
    url: '/api/v1/contracts',
    headers,
    payload: { vendorId: vendor.json().id, title: 'Bench contract', startsOn: '2025-01-01', currency: 'EUR' },
  });

  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  function* form() {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const piece = 256 * 1024;
    for (let offset = 0; offset < DOCUMENT_BYTES; offset += piece) {
      const chunk = randomBytes(piece);
      if (offset === 0) chunk.write('%PDF-1.7\n', 'latin1');
      yield chunk;
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  const uploaded = await app.inject({
    method: 'POST',
    url: `/api/v1/contracts/${contract.json().id}/documents`,
    headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Readable.from(form()),
  });
  if (uploaded.statusCode !== 201) throw new Error(`upload failed: ${uploaded.statusCode} ${uploaded.body}`);
  const document = uploaded.json();
  (globalThis as { gc?: () => void }).gc?.();
  console.log(
    `server RSS: ${(idle / 1048576).toFixed(0)} MB with the database open, ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB after the upload`,
  );
  process.send!({
    port: (app.server.address() as AddressInfo).port,
    cookie,
    documentId: document.id,
    sha256: document.sha256,
    blobPath: join(dataDir, 'documents', tenantId, document.id),
  });
}

main().catch((error: unknown) => {
  console.error('bench server failed:', error);
  process.exit(1);
});
