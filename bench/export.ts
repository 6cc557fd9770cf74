/**
 * Office export benchmark (issue 11): GET /api/v1/export.xlsx of a company with 100,000 line items.
 *
 *   PACTUM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:export
 *
 * A throwaway database is created, migrated and seeded with SQL (bench/api-seed.ts: one company, 20,000
 * contracts × 5 line items), then dropped. The server is a serving node as deployed — `node dist/main.js
 * serve` (the script builds it first), a child process — so the RSS measured is its own, without this
 * process's HTTP client and bare-writer baseline, and without tsx. Measured, medians of 3:
 *   (a) the export over HTTP (a real socket, the reply read to the end): time, and the server's peak RSS
 *       (VmHWM of /proc/<pid>/status, reset through /proc/<pid>/clear_refs), for the first export and for
 *       the measured ones;
 *   (b) the bare ExcelJS streaming writer writing the same rows — the same typed cells, sheets and column
 *       formats — from memory into a stream that discards them (rows loaded before the clock starts), in
 *       this process.
 * Ratio (a)/(b): target ≤ 2. Server peak RSS: target < 256 MB. A measurement, not a gate.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import ExcelJS from 'exceljs';
import type { Database } from '../src/db/engine.js';
import { readInTenant } from '../src/db/tenant-context.js';
import { columnLetters, NUMBER_FORMATS, sheetLayout } from '../src/export/layout.js';
import { exportSheets } from '../src/export/service.js';
import { typedCell } from '../src/export/workbook-writer.js';
import { seed, type BenchTenant } from './api-seed.js';
import { runBenchmark } from './run.js';
import { resetPeakRss, startServingNode, statusMb } from './serving-node.js';
import { createThrowawayDatabase } from './throwaway-database.js';

const adminUrl = process.env.PACTUM_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCALE = { tenants: 1, contractsPerTenant: 20_000, lineItemsPerContract: 5 };
const RUNS = 3;
const TARGET_RATIO = 2;
const TARGET_RSS_MB = 256;

const cleanups: Array<() => Promise<unknown>> = [];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => bytes / 2 ** 20;

/** A stream that takes bytes and counts them, at no cost worth measuring. */
function sink(): Writable & { bytes: number } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.bytes += chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  stream.bytes = 0;
  return stream;
}

async function exportOverHttp(baseUrl: string, token: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const response = await fetch(`${baseUrl}/api/v1/export.xlsx`, { headers: { cookie: `pactum_session=${token}` } });
  if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { ms: performance.now() - start, bytes };
}

type Sheet = { name: Parameters<typeof sheetLayout>[0]; rows: unknown[][] };

/** The export's rows, typed exactly as the export types them, all in memory. */
async function loadRows(database: Database, tenant: BenchTenant): Promise<Sheet[]> {
  return readInTenant(database.kysely, { tenantId: tenant.tenantId, userId: tenant.userId }, async (tx) => {
    const sheets: Sheet[] = [];
    for (const [name, pages] of exportSheets(tx)) {
      const layout = sheetLayout(name);
      const rows: unknown[][] = [];
      for await (const page of pages)
        for (const raw of page) rows.push(layout.columns.map((column) => typedCell(column.kind, raw[column.field])));
      sheets.push({ name, rows });
    }
    return sheets;
  });
}

/** The bare streaming writer: same sheets, views, column formats, header and auto-filter; nothing else. */
async function bareWriter(sheets: Sheet[]): Promise<{ ms: number; bytes: number }> {
  const output = sink();
  const start = performance.now();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  for (const { name, rows } of sheets) {
    const layout = sheetLayout(name);
    const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
    sheet.columns = layout.columns.map((column) => ({
      key: column.field,
      width: column.width,
      style: NUMBER_FORMATS[column.kind] ? { numFmt: NUMBER_FORMATS[column.kind] } : {},
    }));
    const header = sheet.addRow(layout.columns.map((column) => column.header));
    header.font = { bold: true };
    header.commit();
    for (const row of rows) sheet.addRow(row).commit();
    sheet.autoFilter = `A1:${columnLetters(layout.columns.length - 1)}${rows.length + 1}`;
    sheet.commit();
  }
  await workbook.commit();
  return { ms: performance.now() - start, bytes: output.bytes };
}

async function main(): Promise<number> {
  const { appUrl, ownerUrl, database, drop } = await createThrowawayDatabase(adminUrl, 'pactum_bench_export', 10);
  cleanups.push(drop);

  const seedStart = performance.now();
  const { tenants } = await seed(ownerUrl, SCALE);
  const tenant = tenants[0]!;
  const lineItems = SCALE.contractsPerTenant * SCALE.lineItemsPerContract;
  console.log(
    `\nOffice export benchmark: 1 company, ${SCALE.contractsPerTenant} contracts, ${lineItems} line items (seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)\n` +
      `${cpus().length} vCPU, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );

  const node = await startServingNode(appUrl);
  cleanups.push(() => node.stop());
  const { server, baseUrl } = node;
  const pid = server.pid!;
  // A moment for start-up work (first jobs, lazy connections) to settle before the idle figure.
  await sleep(2_000);
  const idleRssMb = statusMb(pid, 'VmRSS');

  // The first export (cold: modules, JIT, pool) is measured on its own, then the measured runs.
  const canReset = resetPeakRss(pid);
  const first = await exportOverHttp(baseUrl, tenant.token);
  const firstPeakMb = statusMb(pid, 'VmHWM');
  const warmRssMb = statusMb(pid, 'VmRSS');
  resetPeakRss(pid);
  const exports: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const result = await exportOverHttp(baseUrl, tenant.token);
    exports.push(result.ms);
    bytes = result.bytes;
  }
  const peakMb = statusMb(pid, 'VmHWM');
  await node.stop();

  const sheets = await loadRows(database, tenant);
  const rows = sheets.reduce((sum, sheet) => sum + sheet.rows.length, 0);
  await bareWriter(sheets);
  const bare: number[] = [];
  let bareBytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const result = await bareWriter(sheets);
    bare.push(result.ms);
    bareBytes = result.bytes;
  }

  const ratio = median(exports) / median(bare);
  console.log(
    `(a) GET /api/v1/export.xlsx over HTTP: median ${(median(exports) / 1000).toFixed(2)} s of ${exports.map((ms) => (ms / 1000).toFixed(2)).join(', ')}; ${mb(bytes).toFixed(1)} MiB, ${rows} rows`,
  );
  console.log(
    `(b) bare ExcelJS streaming writer from memory: median ${(median(bare) / 1000).toFixed(2)} s of ${bare.map((ms) => (ms / 1000).toFixed(2)).join(', ')}; ${mb(bareBytes).toFixed(1)} MiB`,
  );
  console.log(`ratio (a)/(b): ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'PASS' : 'MISS'}`);
  const worstPeakMb = Math.max(firstPeakMb, peakMb);
  console.log(
    `server RSS: ${idleRssMb.toFixed(0)} MB listening, before any export; first export ${(first.ms / 1000).toFixed(2)} s, peak ${firstPeakMb.toFixed(0)} MB; ` +
      `${warmRssMb.toFixed(0)} MB after it; peak during the measured runs ${peakMb.toFixed(0)} MB` +
      (canReset ? '' : ' — /proc/<pid>/clear_refs not writable: the peaks include start-up'),
  );
  console.log(
    `server peak RSS: ${worstPeakMb.toFixed(0)} MB (target < ${TARGET_RSS_MB} MB) ${worstPeakMb < TARGET_RSS_MB ? 'PASS' : 'MISS'}; ` +
      `load average now ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  return 0;
}

void runBenchmark(main, async () => {
  for (const cleanUp of cleanups.reverse()) await cleanUp().catch(() => {});
});
