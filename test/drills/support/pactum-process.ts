import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './cluster.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

export interface PactumProcess {
  port: number;
  base: string;
  origin: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process ends, with when (Date.now()) and how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  alive(): boolean;
  /** Resolves with Date.now() when a line matching `pattern` appears in its output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The built `pactum serve` (`node dist/main.js serve`), as an operator runs it, against `databaseUrl` —
 * or, without one, on the embedded engine in its data directory (the browser suite does that).
 */
export async function startPactum(options: {
  databaseUrl?: string;
  /** Arguments after `serve`, e.g. `--demo`. */
  serveArgs?: string[];
  twilioUrl: string;
  env?: Record<string, string>;
  dataDir?: string;
  masterKey?: string;
  port?: number;
  /** false: return at once, without waiting for "Pactum is ready". */
  waitReady?: boolean;
  /** How long to wait for /healthz (default 60 s). */
  readyTimeoutMs?: number;
}): Promise<PactumProcess> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm run test:drills does)');
  const port = options.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|NODE_ENV$|PORT$|HOST$|VITEST)/.test(name)),
  );
  const child = spawn(process.execPath, [MAIN, 'serve', ...(options.serveArgs ?? [])], {
    cwd: ROOT,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PACTUM_PUBLIC_URL: base,
      ...(options.databaseUrl === undefined ? {} : { PACTUM_DATABASE_URL: options.databaseUrl }),
      PACTUM_DATA_DIR: options.dataDir ?? mkdtempSync(join(tmpdir(), 'pactum-drill-data-')),
      PACTUM_MASTER_KEY: options.masterKey ?? randomBytes(32).toString('base64'),
      PACTUM_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: DRILL_TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: DRILL_TWILIO.authToken,
      TWILIO_FROM_NUMBER: '+15005550006',
      PACTUM_TWILIO_API_URL: options.twilioUrl,
      // The drills' load comes from one loopback address; the per-IP limits are not under test here.
      PACTUM_RATE_LIMIT_PER_MINUTE: '10000000',
      PACTUM_AUTH_RATE_LIMIT_PER_MINUTE: '10000000',
      PACTUM_LOGIN_IP_LIMIT: '1000000',
      PACTUM_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          cleanup();
          resolve(Date.now());
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${pattern} in pactum's output within ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const gone = () => {
        cleanup();
        reject(new Error(`pactum exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output.slice(-3000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        watchers.delete(check);
        child.off('exit', gone);
      };
      watchers.add(check);
      child.once('exit', gone);
      check();
    });
  const process_: PactumProcess = {
    port,
    base,
    origin: base,
    child,
    output: () => output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitForOutput,
    async stop() {
      if (!process_.alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  // Logs are at warn: readiness shows as the port answering.
  if (options.waitReady !== false) await waitHealthy(base, options.readyTimeoutMs ?? 60_000, process_);
  return process_;
}

export const DRILL_TWILIO = { accountSid: 'ACdrill000000000000000000000000000', authToken: 'drill-twilio-token-5c2e' };

/** Polls /healthz until it answers 200; resolves with the moment it first did. */
export async function waitHealthy(base: string, timeoutMs: number, pactum?: PactumProcess): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (pactum && !pactum.alive()) throw new Error(`pactum exited:\n${pactum.output().slice(-3000)}`);
    try {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return Date.now();
    } catch {
      // not listening yet
    }
    if (Date.now() > until)
      throw new Error(
        `pactum at ${base} did not become healthy within ${timeoutMs} ms${pactum ? `:\n${pactum.output().slice(-3000)}` : ''}`,
      );
    await sleep(50);
  }
}
