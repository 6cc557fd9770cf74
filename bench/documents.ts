/**
 * Document download benchmark (issue 13 point 2): memory under slow readers, and streaming throughput.
 *
 *   PACTUM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:documents
 *   npm run bench:documents          # embedded PGlite: its heap inflates the RSS figures
 *
 * Starts the app in a child process (bench/documents-server.ts: embedded PGlite, one 25 MiB PDF), so the
 * RSS measured is the server's alone. Then:
 *   1. 80 connections request the document and never read (each its own socket); the server's RSS is
 *      sampled every 50 ms from /proc/<pid>/status for 15 s. Target: peak RSS < 400 MB.
 *   2. One client downloads the document as fast as it can, 3 times (median MB/s), against reading the
 *      stored blob from disk with a plain read stream, 3 times. Target: download ≥ 0.5 × disk. Each download
 *      also reports the server's CPU time and how often its main thread slept.
 * A measurement, not a gate: PASS/MISS does not change the exit code. See bench/README.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { runBenchmark } from './run.js';

const READERS = 80;
const HOLD_MS = 15_000;
const DOCUMENT_BYTES = 25 * 1024 * 1024;
const TARGET_RSS_MB = 400;
const TARGET_RATIO = 0.5;

interface Ready {
  port: number;
  cookie: string;
  documentId: string;
  sha256: string;
  blobPath: string;
}

let server: ChildProcess | null = null;
const serverUrl = process.env.PACTUM_BENCH_DATABASE_URL || null;
let benchDatabase: string | null = null;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl! });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * The server's CPU time (all threads, from /proc/<pid>/stat at 100 ticks a second) and how often its main
 * thread went to sleep waiting (voluntary context switches): where a download's time went. Each wake-up
 * costs latency on an idle virtual CPU; both figures rise with the machine's load, so compare them at
 * similar load.
 */
function serverEffort(pid: number): { cpuMs: number; sleeps: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const sleeps = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, sleeps: Number(sleeps?.[1]) };
}

function get(ready: Ready): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ready.port,
        path: `/api/v1/documents/${ready.documentId}`,
        agent: false,
        headers: { cookie: `pactum_session=${ready.cookie}` },
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

async function slowReaders(ready: Ready, pid: number) {
  // Peak RSS from here on: writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0); sampling covers the rest.
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: the sampled peak still counts
  }
  const baseline = statusKb(pid, 'VmRSS');
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, statusKb(pid, 'VmRSS'))), 50);
  const responses = await Promise.all(Array.from({ length: READERS }, () => get(ready)));
  for (const response of responses) response.pause();
  const statuses = new Map<number, number>();
  for (const response of responses) statuses.set(response.statusCode!, (statuses.get(response.statusCode!) ?? 0) + 1);
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  clearInterval(sampler);
  peak = Math.max(peak, statusKb(pid, 'VmRSS'), statusKb(pid, 'VmHWM'));
  for (const response of responses) response.destroy();
  return { baselineMb: baseline / 1024, peakMb: peak / 1024, statuses: Object.fromEntries(statuses) };
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

async function main(): Promise<number> {
  let databaseUrl: string | undefined;
  if (serverUrl) {
    benchDatabase = `pactum_bench_docs_${randomBytes(5).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE ${benchDatabase}`));
    const url = new URL(serverUrl);
    url.pathname = `/${benchDatabase}`;
    databaseUrl = url.href;
  }
  console.log(
    `database: ${serverUrl ? 'PostgreSQL server (fresh database)' : 'embedded PGlite in memory (its heap counts in the server RSS)'}`,
  );
  server = fork('bench/documents-server.ts', {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: 'inherit',
    env: { ...process.env, ...(databaseUrl ? { BENCH_DOCUMENTS_DATABASE_URL: databaseUrl } : {}) },
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    server!.once('message', (message) => resolve(message as Ready));
    server!.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const pid = server.pid!;
  console.log(`server pid ${pid}: one ${mb(DOCUMENT_BYTES)} MiB document stored; RSS ${(statusKb(pid, 'VmRSS') / 1024).toFixed(0)} MB`);

  const slow = await slowReaders(ready, pid);
  console.log(
    `${READERS} readers that never read, held ${HOLD_MS / 1000} s: answers ${JSON.stringify(slow.statuses)}; RSS before ${slow.baselineMb.toFixed(0)} MB, peak ${slow.peakMb.toFixed(0)} MB`,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const downloads: number[] = [];
  const disk: number[] = [];
  const effort: { cpuMs: number; sleeps: number }[] = [];
  for (let run = 0; run < 3; run += 1) {
    const before = serverEffort(pid);
    const download = await timedRead(async () => {
      const response = await get(ready);
      if (response.statusCode !== 200) throw new Error(`download answered ${response.statusCode}`);
      return response;
    });
    if (download.bytes !== DOCUMENT_BYTES || download.sha256 !== ready.sha256) throw new Error('the download is not the uploaded document');
    const after = serverEffort(pid);
    downloads.push(download.mbPerSecond);
    effort.push({ cpuMs: after.cpuMs - before.cpuMs, sleeps: after.sleeps - before.sleeps });
    disk.push((await timedRead(async () => createReadStream(ready.blobPath, { highWaterMark: 64 * 1024 }))).mbPerSecond);
    const streamedMbPerSecond = mb(download.bytes) / (mb(download.bytes) / download.mbPerSecond - download.firstByteMs / 1000);
    console.log(
      `run ${run + 1}: download ${downloads.at(-1)!.toFixed(0)} MB/s (first byte after ${download.firstByteMs.toFixed(0)} ms, ` +
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
      `server CPU per download ${median(effort.map((e) => e.cpuMs))} ms, main thread slept ${median(effort.map((e) => e.sleeps))} times`,
  );
  return 0;
}

await runBenchmark(main, async () => {
  server?.kill('SIGKILL');
  if (benchDatabase) await admin((client) => client.query(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`));
});
