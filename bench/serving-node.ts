/**
 * A serving node as deployed, for benchmarks that measure the server's own memory and CPU: `node
 * dist/main.js serve` (built first by the npm script), started with the same Node flags as `npm start`,
 * in a child process — no tsx, no source maps, none of the benchmark's own allocations in its heap.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The Node flags of `npm start` (package.json), so a benchmark's server runs as production does. */
export function productionNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts.start!.split(/\s+/);
  return words.slice(1, words.indexOf('dist/main.js')).filter((word) => word.startsWith('--'));
}

export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Resets a process's peak-RSS counter (Linux ≥ 4.0); false where that is not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export interface ServingNode {
  server: ChildProcess;
  baseUrl: string;
  /** PACTUM_DATA_DIR: documents are stored under `<dataDir>/documents`. */
  dataDir: string;
  /** Stops the server (SIGTERM, so profiles and traces are written; SIGKILL after 5 s) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `pactum serve` on `databaseUrl` (already migrated) with a fresh data directory and waits until
 * it answers /healthz. `env` adds or overrides settings (providers, limits).
 */
export async function startServingNode(databaseUrl: string, env: Record<string, string> = {}): Promise<ServingNode> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-bench-node-'));
  const server = fork('dist/main.js', ['serve'], {
    // BENCH_NODE_FLAGS adds flags for a closer look (--trace-gc, --cpu-prof …); the figures then include their cost.
    execArgv: [...productionNodeFlags(), ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])],
    stdio: 'inherit',
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      PACTUM_PUBLIC_URL: baseUrl,
      PACTUM_DATABASE_URL: databaseUrl,
      PACTUM_DATA_DIR: dataDir,
      PACTUM_MASTER_KEY: randomKey(),
      PACTUM_LOG_LEVEL: 'warn',
      PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      server.kill('SIGTERM');
      const killer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (;;) {
    if (exited) {
      await stop();
      throw new Error('pactum serve exited before it answered');
    }
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { server, baseUrl, dataDir, stop };
    await sleep(200);
  }
}

function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
}
