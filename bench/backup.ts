/**
 * `npm run bench:backup`: `pactum backup` (pg_dump -Fc streamed, encrypted, stored, read back and
 * SHA-256-checked, with per-table checksums in the same snapshot) of a ~1 GB PostgreSQL database versus
 * bare `pg_dump -Fc` to a local file. Target: ratio ≤ 1.3. See bench/README.md.
 *
 *   PACTUM_BENCH_DATABASE_URL  server to use (a throwaway database is created and dropped)  postgres://postgres@127.0.0.1:5432/postgres
 *   PACTUM_BENCH_BACKUP_MB     approximate size of the generated data (MB on disk)           1024
 *   PACTUM_BENCH_RUNS          measured runs of each (alternating; medians)                   2
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { takeBackup } from '../src/backup/service.js';
import { createDirTarget } from '../src/backup/targets.js';
import { openPostgres } from '../src/db/engine.js';
import { migrate } from '../src/db/migrate.js';

const serverUrl = process.env.PACTUM_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const targetMb = Number(process.env.PACTUM_BENCH_BACKUP_MB || 1024);
const runs = Number(process.env.PACTUM_BENCH_RUNS || 2);

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Rows shaped like contract data: uuids, titles and notes from md5 text (compressible like prose is not,
 * but not random bytes either), money, dates, a little JSON. ~1 GB at the default.
 */
async function generate(url: string): Promise<number> {
  return admin(url, async (client) => {
    await client.query(`CREATE TABLE bench_contracts (
      id bigint PRIMARY KEY, tenant_id uuid NOT NULL, title text NOT NULL, notes text NOT NULL,
      amount numeric(14,4) NOT NULL, starts_on date NOT NULL, details jsonb NOT NULL)`);
    const batch = 100_000;
    let rows = 0;
    while (true) {
      await client.query(
        `INSERT INTO bench_contracts
         SELECT g, md5((g % 1000)::text)::uuid, 'Contract ' || g || ' ' || md5(g::text),
                repeat(md5((g * 7)::text) || ' ', 3), (g % 100000) / 7.0, date '2020-01-01' + (g % 2000)::int,
                jsonb_build_object('seats', g % 500, 'vendor', 'Vendor ' || (g % 97))
           FROM generate_series($1::bigint, $2::bigint) AS g`,
        [rows + 1, rows + batch],
      );
      rows += batch;
      const { rows: size } = await client.query<{ mb: number }>(`SELECT pg_database_size(current_database()) / 1048576.0 AS mb`);
      if (Number(size[0]!.mb) >= targetMb) break;
    }
    await client.query('VACUUM ANALYZE bench_contracts');
    return rows;
  });
}

function pgDumpPath(): string {
  const versioned = '/usr/lib/postgresql/15/bin/pg_dump';
  return existsSync(versioned) ? versioned : 'pg_dump';
}

function bareDump(url: string, file: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(pgDumpPath(), ['--format=custom', `--file=${file}`, `--dbname=${url}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`pg_dump exited ${code}`))));
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main() {
  const name = `pactum_bench_backup_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const work = mkdtempSync(join(tmpdir(), 'pactum-bench-backup-'));
  try {
    const database = await openPostgres(url.href, 1);
    await migrate(database);
    await database.close();
    const generatedAt = performance.now();
    const rows = await generate(url.href);
    const dbMb = await admin(url.href, async (c) =>
      Number((await c.query(`SELECT pg_database_size(current_database()) / 1048576.0 AS mb`)).rows[0].mb),
    );
    console.log(
      `generated ${rows.toLocaleString('en')} rows, database ${dbMb.toFixed(0)} MB, in ${((performance.now() - generatedAt) / 1000).toFixed(0)} s`,
    );

    const key = randomBytes(32);
    const bare: number[] = [];
    const ours: number[] = [];
    let sizes = { bare: 0, archive: 0 };
    // One unmeasured bare dump warms the cache, then alternate so drift hits both alike.
    await bareDump(url.href, join(work, 'warm.dump'));
    rmSync(join(work, 'warm.dump'));
    for (let run = 0; run < runs; run += 1) {
      const file = join(work, `bare-${run}.dump`);
      bare.push(await bareDump(url.href, file));
      sizes.bare = statSync(file).size;
      rmSync(file);
      const dir = join(work, `ours-${run}`);
      const started = performance.now();
      const manifest = await takeBackup(
        { engine: 'postgres', ownerUrl: url.href },
        { target: createDirTarget(dir), key, clock: () => new Date() },
      );
      ours.push((performance.now() - started) / 1000);
      sizes = { ...sizes, archive: manifest.archive.size };
      rmSync(dir, { recursive: true, force: true });
      console.log(`run ${run + 1}: pg_dump -Fc ${bare.at(-1)!.toFixed(1)} s, pactum backup ${ours.at(-1)!.toFixed(1)} s`);
    }
    const ratio = median(ours) / median(bare);
    console.log(
      `RESULT database ${dbMb.toFixed(0)} MB: pg_dump -Fc median ${median(bare).toFixed(1)} s (${(sizes.bare / 1048576).toFixed(0)} MiB), ` +
        `pactum backup median ${median(ours).toFixed(1)} s (${(sizes.archive / 1048576).toFixed(0)} MiB archive), ratio ${ratio.toFixed(2)} ` +
        `(target ≤ 1.3: ${ratio <= 1.3 ? 'PASS' : 'MISS'})`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
    await admin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
