import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../helpers/run-command.js';

/**
 * Issue 15: one process per embedded data directory. These tests run the real command line in child
 * processes, because the lock is about processes; they are about the embedded engine only, so they run
 * the same on both test engines (PACTUM_DATABASE_URL is never passed on).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const START_TIMEOUT_MS = 90_000;

const tempDirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-lock-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cleanEnv(dataDir: string): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|NODE_ENV$|PORT$|HOST$|VITEST)/.test(name)),
  );
  // Shedding off: a just-started server on a busy test machine may see event-loop delays above the default
  // threshold and answer 503, which is not what these tests are about.
  return { ...base, PACTUM_DATA_DIR: dataDir, PORT: '0', PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' };
}

function pactum(dataDir: string, args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv(dataDir),
    timeoutMs: START_TIMEOUT_MS,
  });
}

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout(): string;
  /** Resolves with the first match of `pattern` in stderr from now on (one-time codes are printed there). */
  nextInStderr(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

const running: Server[] = [];
afterEach(() => {
  for (const server of running.splice(0))
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

async function startServer(dataDir: string, args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', ...args], {
    cwd: ROOT,
    env: cleanEnv(dataDir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((waiter) => waiter());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), wake()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), wake()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (wake(), resolve(code))));
  const server: Server = {
    child,
    url: '',
    stdout: () => stdout,
    exited,
    nextInStderr(pattern) {
      const from = stderr.length;
      return waitFor(() => pattern.exec(stderr.slice(from)));
    },
  };
  running.push(server);
  function waitFor<T>(found: () => T | null): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value) return resolve(value);
        if (child.exitCode !== null || child.signalCode !== null)
          return reject(new Error(`serve exited (${child.exitCode ?? child.signalCode}):\n${stdout}\n${stderr}`));
        waiters.push(check);
      };
      check();
    });
  }
  const listening = await waitFor(() =>
    stdout.includes('Pactum is ready') ? /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout) : null,
  );
  server.url = listening[1]!;
  // serve --demo prints how to sign in once it is ready (the logger's lines may come before or after it).
  if (args.includes('--demo')) await waitFor(() => /^(?: {2}password: \S+|The demo company exists already)/m.exec(stdout));
  return server;
}

async function stop(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}

function expectRefusal(result: CommandResult, server: Server, holder: string): string {
  expect(result.status, result.stderr).toBe(1);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`in use by \`${holder}\` (PID ${server.child.pid},`);
  return lines[0]!;
}

function claims(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'pactum.lock'));
}

/** Signs in as the demo master over HTTP with the password and the code the server prints. */
async function signIn(server: Server, password: string): Promise<string> {
  const code = server.nextInStderr(/code for .+? by sms: (\d{6})/);
  const login = await post(server, '/api/v1/auth/login', { email: 'demo@pactum.example', password });
  expect(login.status, await login.clone().text()).toBe(200);
  const { challenge } = (await login.json()) as { challenge: { id: string } };
  const verify = await post(server, `/api/v1/auth/challenges/${challenge.id}/verify`, { code: (await code)[1] });
  expect(verify.status, await verify.clone().text()).toBe(200);
  return verify.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

function post(server: Server, path: string, body: unknown, cookie?: string): Promise<Response> {
  // The default public URL with PORT=0 is http://localhost:0; a cookie-bearing write must name its origin.
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(cookie ? { cookie, origin: 'http://localhost:0' } : {}),
  };
  return fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('one process per embedded data directory (issue 15)', { timeout: 240_000 }, () => {
  it('takes --demo on serve only, and never in production', async () => {
    const dataDir = tempDir();
    const misplaced = await pactum(dataDir, ['migrate', '--demo']);
    expect(misplaced.status).toBe(1);
    expect(misplaced.stderr).toBe('pactum: --demo is an option of serve only (pactum serve --demo)\n');
    const production = await runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--demo'], {
      cwd: ROOT,
      env: {
        ...cleanEnv(dataDir),
        NODE_ENV: 'production',
        PACTUM_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        PACTUM_PUBLIC_URL: 'https://pactum.example.com',
        PACTUM_SMTP_URL: 'smtp://127.0.0.1:1',
        PACTUM_SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'ACtest0000000000000000000000000000',
        TWILIO_AUTH_TOKEN: 'test-token',
        TWILIO_FROM_NUMBER: '+15005550006',
      },
      timeoutMs: START_TIMEOUT_MS,
    });
    expect(production.status).toBe(1);
    expect(production.stderr).toBe('pactum: serve --demo is for trying Pactum out; NODE_ENV=production refuses it.\n');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a second serve, demo, migrate and audit verify at once, in one line, with exit code 1', async () => {
    const dataDir = tempDir();
    const server = await startServer(dataDir);

    const [secondServe, demo, migrate, audit] = await Promise.all([
      pactum(dataDir, ['serve']),
      pactum(dataDir, ['demo']),
      pactum(dataDir, ['migrate']),
      pactum(dataDir, ['audit', 'verify']),
    ]);
    expect(expectRefusal(secondServe, server, 'pactum serve')).toMatch(/stop that process first/);
    expect(expectRefusal(demo, server, 'pactum serve')).toContain('pactum serve --demo');
    expectRefusal(migrate, server, 'pactum serve');
    expectRefusal(audit, server, 'pactum serve');
    expect(secondServe.stdout).not.toContain('Pactum is ready');
    expect(demo.stdout).not.toContain('password');
    // The refused left no claim behind; the server's own is the only one.
    expect(claims(dataDir)).toEqual([expect.stringMatching(new RegExp(`^${server.child.pid}_.*\\.claim$`))]);

    expect(await stop(server)).toBe(0);
    expect(claims(dataDir)).toEqual([]);
  });

  it('is not blocked by a server killed with kill -9', async () => {
    const dataDir = tempDir();
    const killed = await startServer(dataDir);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(claims(dataDir)).toHaveLength(1);

    const next = await startServer(dataDir);
    expect(claims(dataDir)).toEqual([expect.stringMatching(new RegExp(`^${next.child.pid}_.*\\.claim$`))]);
    expect(await stop(next)).toBe(0);
  });

  it('keeps the demo company and every write through the server across a restart (the issue scenario)', async () => {
    const dataDir = tempDir();
    const server = await startServer(dataDir, ['--demo']);
    const password = /password:\s+(\S+)/.exec(server.stdout())?.[1];
    expect(password).toBeDefined();

    // The newcomer's second terminal: refused, and told what to do, instead of a silent success.
    const demo = await pactum(dataDir, ['demo']);
    expect(expectRefusal(demo, server, 'pactum serve --demo')).toContain('demo company');
    expect(demo.stdout).toBe('');

    const cookie = await signIn(server, password!);
    const created = await post(server, '/api/v1/vendors', { name: 'Written Before Restart GmbH' }, cookie);
    expect(created.status, await created.clone().text()).toBe(201);
    const vendorId = ((await created.json()) as { id: string }).id;
    expect(await stop(server)).toBe(0);

    const restarted = await startServer(dataDir, ['--demo']);
    expect(restarted.stdout()).toMatch(/demo company exists already/);
    expect(restarted.stdout()).not.toContain(password!);
    const again = await signIn(restarted, password!);
    const vendor = await fetch(`${restarted.url}/api/v1/vendors/${vendorId}`, { headers: { cookie: again } });
    expect(vendor.status).toBe(200);
    expect(await vendor.json()).toMatchObject({ name: 'Written Before Restart GmbH' });
    const contracts = await fetch(`${restarted.url}/api/v1/contracts?kind=contract`, { headers: { cookie: again } });
    expect(((await contracts.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    expect(await stop(restarted)).toBe(0);
  });
});
