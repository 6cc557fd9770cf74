/**
 * Document download benchmark (issue 13 point 2): memory under slow readers, and streaming throughput.
 *
 *   PACTUM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:documents
 *
 * A throwaway database is created and migrated, then the server is a serving node as deployed (`node
 * dist/main.js serve` with the flags of `npm start`, a child process; bench/serving-node.ts), so the RSS
 * and CPU measured are its own. Through its HTTP API a company signs up (a local fake Twilio takes the
 * code), creates a contract and uploads one 25 MiB PDF. Then:
 *   1. 80 connections request the document and never read (each its own socket); the server's RSS is
 *      sampled every 50 ms from /proc/<pid>/status for 15 s. Target: peak RSS < 400 MB.
 *   2. One client downloads the document as fast as it can (one warm-up download, then 5 measured; median
 *      MB/s), against reading the stored blob from disk with a plain read stream, as often. Target:
 *      download ≥ 0.5 × disk. Each download also reports the server's CPU time and how often its main
 *      thread slept.
 * A measurement, not a gate: PASS/MISS does not change the exit code. See bench/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFakeTwilio, type FakeTwilio } from '../test/fakes/fake-twilio.js';
import { runBenchmark } from './run.js';
import { resetPeakRss, startServingNode, statusMb } from './serving-node.js';
import { createThrowawayDatabase } from './throwaway-database.js';

const READERS = 80;
const HOLD_MS = 15_000;
const DOCUMENT_BYTES = 25 * 1024 * 1024;
const RUNS = 5;
const TARGET_RSS_MB = 400;
const TARGET_RATIO = 0.5;
const TWILIO = { accountSid: 'ACbench000000000000000000000000000', authToken: 'bench-twilio-token-docs' };

interface Ready {
  baseUrl: string;
  cookie: string;
  documentId: string;
  sha256: string;
  blobPath: string;
}

const adminUrl = process.env.PACTUM_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const cleanups: Array<() => Promise<unknown>> = [];

const mb = (bytes: number) => bytes / (1024 * 1024);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The server's CPU time (all threads, from /proc/<pid>/stat at 100 ticks a second) and how often its main
 * thread went to sleep waiting (voluntary context switches): where a download's time went. Both rise
 * with the machine's load, so compare them at similar load.
 */
function serverEffort(pid: number): { cpuMs: number; sleeps: number } {
  const fields = readProc(pid, 'stat').split(') ')[1]!.split(' ');
  const sleeps = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readProc(pid, 'status'));
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, sleeps: Number(sleeps?.[1]) };
}

function readProc(pid: number, file: string): string {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

/** One API call as the browser makes it (JSON, the session cookie, the app's own origin). */
async function api(ready: Pick<Ready, 'baseUrl' | 'cookie'>, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${ready.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', origin: ready.baseUrl, cookie: `pactum_session=${ready.cookie}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** Signs a company up, creates a contract and uploads one 25 MiB PDF (random bytes after a PDF head), streamed. */
async function prepare(baseUrl: string, dataDir: string, twilio: FakeTwilio): Promise<Ready> {
  const phone = '+41791234567';
  const signup = await api({ baseUrl, cookie: '' }, 'POST', '/api/v1/signup', {
    companyName: 'Globex Procurement',
    name: 'Hank Scorpio',
    email: 'reader@example.com',
    phone,
    password: 'correct horse battery staple vault 42',
  });
  const { challenge } = (await signup.json()) as { challenge: { id: string } };
  const verified = await api({ baseUrl, cookie: '' }, 'POST', `/api/v1/auth/challenges/${challenge.id}/verify`, {
    code: twilio.lastCodeFor(phone),
  });
  const cookie = /pactum_session=([^;]+)/.exec(verified.headers.getSetCookie().join('\n'))![1]!;
  const { tenant } = (await verified.json()) as { tenant: { id: string } };
  const session = { baseUrl, cookie };
  const vendor = (await (await api(session, 'POST', '/api/v1/vendors', { name: 'Bench Vendor' })).json()) as { id: string };
  const contract = (await (
    await api(session, 'POST', '/api/v1/contracts', {
      vendorId: vendor.id,
      title: 'Bench contract',
      startsOn: '2025-01-01',
      currency: 'EUR',
    })
  ).json()) as { id: string };
  const uploaded = await uploadDocument(session, contract.id);
  return {
    baseUrl,
    cookie,
    documentId: uploaded.id,
    sha256: uploaded.sha256,
    blobPath: join(dataDir, 'documents', tenant.id, uploaded.id),
  };
}

function uploadDocument(session: { baseUrl: string; cookie: string }, contractId: string): Promise<{ id: string; sha256: string }> {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const upload = request(
      `${session.baseUrl}/api/v1/contracts/${contractId}/documents`,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + DOCUMENT_BYTES + tail.length,
          origin: session.baseUrl,
          cookie: `pactum_session=${session.cookie}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 201) resolve(JSON.parse(text) as { id: string; sha256: string });
          else reject(new Error(`upload answered ${response.statusCode}: ${text}`));
        });
      },
    );
    upload.on('error', reject);
    void (async () => {
      upload.write(head);
      const piece = 256 * 1024;
      for (let offset = 0; offset < DOCUMENT_BYTES; offset += piece) {
        const chunk = randomBytes(piece);
        if (offset === 0) chunk.write('%PDF-1.7\n', 'latin1');
        if (!upload.write(chunk)) await new Promise((drained) => upload.once('drain', drained));
      }
      upload.end(tail);
    })();
  });
}

function get(ready: Ready): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${ready.baseUrl}/api/v1/documents/${ready.documentId}`,
      { agent: false, headers: { cookie: `pactum_session=${ready.cookie}` } },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

async function slowReaders(ready: Ready, pid: number) {
  // Peak RSS from here on: VmHWM reset (clear_refs), and sampling covers the rest.
  resetPeakRss(pid);
  const baseline = statusMb(pid, 'VmRSS');
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, statusMb(pid, 'VmRSS'))), 50);
  const responses = await Promise.all(Array.from({ length: READERS }, () => get(ready)));
  for (const response of responses) response.pause();
  const statuses = new Map<number, number>();
  for (const response of responses) statuses.set(response.statusCode!, (statuses.get(response.statusCode!) ?? 0) + 1);
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  clearInterval(sampler);
  peak = Math.max(peak, statusMb(pid, 'VmRSS'), statusMb(pid, 'VmHWM'));
  for (const response of responses) response.destroy();
  return { baselineMb: baseline, peakMb: peak, statuses: Object.fromEntries(statuses) };
}

/** MB/s over the whole read; firstByteMs splits a download's fixed cost (session, audit row, key) from its streaming. */
async function timedRead(
  open: () => Promise<AsyncIterable<Buffer>>,
): Promise<{ mbPerSecond: number; sha256: string; bytes: number; firstByteMs: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let firstByteMs = 0;
  const started = performance.now();
  for await (const chunk of await open()) {
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += chunk.length;
    hash.update(chunk);
  }
  const seconds = (performance.now() - started) / 1000;
  return { mbPerSecond: mb(bytes) / seconds, sha256: hash.digest('hex'), bytes, firstByteMs };
}

async function download(ready: Ready) {
  const result = await timedRead(async () => {
    const response = await get(ready);
    if (response.statusCode !== 200) throw new Error(`download answered ${response.statusCode}`);
    return response;
  });
  if (result.bytes !== DOCUMENT_BYTES || result.sha256 !== ready.sha256) throw new Error('the download is not the uploaded document');
  return result;
}

async function main(): Promise<number> {
  const { appUrl, drop } = await createThrowawayDatabase(adminUrl, 'pactum_bench_docs', 2);
  cleanups.push(drop);

  const twilio = await startFakeTwilio(TWILIO);
  cleanups.push(() => twilio.close());
  const node = await startServingNode(appUrl, {
    PACTUM_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: TWILIO.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    PACTUM_TWILIO_API_URL: twilio.url,
    PACTUM_LOG_LEVEL: 'error',
    PACTUM_RATE_LIMIT_PER_MINUTE: '1000000',
    // All 80 readers are one user here: the per-user limit (4 by default) is raised so that the benchmark
    // measures what 80 streams cost, not how many 429 answers are.
    PACTUM_DOCUMENT_DOWNLOADS_PER_USER: '100',
    PACTUM_DOCUMENT_DOWNLOADS_PER_NODE: '100',
  });
  cleanups.push(() => node.stop());
  const pid = node.server.pid!;
  const idleMb = statusMb(pid, 'VmRSS');
  const ready = await prepare(node.baseUrl, node.dataDir, twilio);
  console.log(
    `server pid ${pid} (dist/main.js serve, PostgreSQL, local document storage): RSS ${idleMb.toFixed(0)} MB listening, ` +
      `${statusMb(pid, 'VmRSS').toFixed(0)} MB after uploading one ${mb(DOCUMENT_BYTES)} MiB document`,
  );

  const slow = await slowReaders(ready, pid);
  console.log(
    `${READERS} readers that never read, held ${HOLD_MS / 1000} s: answers ${JSON.stringify(slow.statuses)}; RSS before ${slow.baselineMb.toFixed(0)} MB, peak ${slow.peakMb.toFixed(0)} MB`,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));

  // The first fast download after the slow readers compiles the streaming path's hot code; shown, not counted.
  const warmUp = await download(ready);
  console.log(`warm-up download: ${warmUp.mbPerSecond.toFixed(0)} MB/s`);
  const downloads: number[] = [];
  const disk: number[] = [];
  const effort: { cpuMs: number; sleeps: number }[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const before = serverEffort(pid);
    const result = await download(ready);
    const after = serverEffort(pid);
    downloads.push(result.mbPerSecond);
    effort.push({ cpuMs: after.cpuMs - before.cpuMs, sleeps: after.sleeps - before.sleeps });
    disk.push((await timedRead(async () => createReadStream(ready.blobPath, { highWaterMark: 64 * 1024 }))).mbPerSecond);
    const streamedMbPerSecond = mb(result.bytes) / (mb(result.bytes) / result.mbPerSecond - result.firstByteMs / 1000);
    console.log(
      `run ${run + 1}: download ${downloads.at(-1)!.toFixed(0)} MB/s (first byte after ${result.firstByteMs.toFixed(0)} ms, ` +
        `${streamedMbPerSecond.toFixed(0)} MB/s after it; server CPU ${effort.at(-1)!.cpuMs} ms, main thread slept ` +
        `${effort.at(-1)!.sleeps} times), disk read ${disk.at(-1)!.toFixed(0)} MB/s`,
    );
  }
  const ratio = median(downloads) / median(disk);
  const rssVerdict = slow.peakMb < TARGET_RSS_MB ? 'PASS' : 'MISS';
  const ratioVerdict = ratio >= TARGET_RATIO ? 'PASS' : 'MISS';
  console.log(
    `RESULT peak RSS ${slow.peakMb.toFixed(0)} MB with ${READERS} slow readers (target < ${TARGET_RSS_MB}: ${rssVerdict}); ` +
      `download ${median(downloads).toFixed(0)} MB/s vs disk ${median(disk).toFixed(0)} MB/s = ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}: ${ratioVerdict}); ` +
      `server CPU per download ${median(effort.map((e) => e.cpuMs))} ms, main thread slept ${median(effort.map((e) => e.sleeps))} times; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  return 0;
}

await runBenchmark(main, async () => {
  for (const cleanUp of cleanups.reverse()) await cleanUp().catch((error: unknown) => console.error('cleanup failed:', error));
});
