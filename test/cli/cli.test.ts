import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../helpers/run-command.js';
import { serverUrl } from '../helpers/test-database.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TIMEOUT_MS = 60_000;

const tempDirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-cli-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The caller's environment without anything that configures Pactum, plus what the test sets. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|STRIPE_|NODE_ENV$|PORT$|HOST$|VITEST)/.test(name)),
  );
  return { ...base, ...env };
}

function pactum(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv({ PACTUM_DATA_DIR: tempDir(), ...env }),
    timeoutMs: TIMEOUT_MS,
  });
}

function expectOneLineFailure(result: CommandResult) {
  expect(result.status, result.stderr).not.toBe(0);
  expect(result.status).not.toBeNull();
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pactum: \S/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('pactum command line', { timeout: 120_000 }, () => {
  it('prints the overview with --help and exits 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const result = await pactum(args);
      expect(result.status, result.stderr).toBe(0);
      for (const command of ['serve', 'migrate', 'demo']) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
      expect(result.stderr).toBe('');
    }
  });

  it.each(['serve', 'migrate', 'demo'])('prints help for %s and exits 0 without touching anything', async (command) => {
    const dataDir = tempDir();
    const result = await pactum([command, '--help'], { PACTUM_DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Usage: pactum ${command}`);
    expect(result.stderr).toBe('');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses an unknown command with one line on stderr', async () => {
    const line = expectOneLineFailure(await pactum(['frobnicate']));
    expect(line).toContain('frobnicate');
  });

  it('refuses an unknown option with one line on stderr', async () => {
    const line = expectOneLineFailure(await pactum(['migrate', '--force-everything']));
    expect(line).toContain('--force-everything');
  });

  it('refuses to start in production without a master key, in one line', async () => {
    const line = expectOneLineFailure(
      await pactum(['serve'], {
        NODE_ENV: 'production',
        PORT: '0',
        PACTUM_PUBLIC_URL: 'https://pactum.example.com',
        PACTUM_SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'ACtest0000000000000000000000000000',
        TWILIO_AUTH_TOKEN: 'twilio-secret-token-7f3a9c',
        TWILIO_FROM_NUMBER: '+15005550006',
      }),
    );
    expect(line).toContain('PACTUM_MASTER_KEY');
    expect(line).not.toContain('twilio-secret-token-7f3a9c');
  });

  it('refuses the console SMS provider in production, in one line', async () => {
    const line = expectOneLineFailure(
      await pactum(['migrate'], { NODE_ENV: 'production', PACTUM_MASTER_KEY: randomBytes(32).toString('base64') }),
    );
    expect(line).toContain('console');
  });

  it('fails in one line when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const line = expectOneLineFailure(await pactum(['serve'], { PORT: String(port) }));
      expect(line).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('migrates an empty embedded database once, then reports it up to date', async () => {
    const dataDir = tempDir();
    const first = await pactum(['migrate'], { PACTUM_DATA_DIR: dataDir });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('0001_foundation.sql');
    expect(first.stdout).toMatch(/applied/i);
    const second = await pactum(['migrate'], { PACTUM_DATA_DIR: dataDir });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/up to date/i);
    expect(second.stdout).not.toContain('0001_foundation.sql');
  });

  it('creates the demo company once and prints how to sign in', async () => {
    const dataDir = tempDir();
    const first = await pactum(['demo'], { PACTUM_DATA_DIR: dataDir });
    expect(first.status, first.stderr).toBe(0);
    const email = /e-mail:\s+(\S+@\S+)/.exec(first.stdout)?.[1];
    const password = /password:\s+(\S+)/.exec(first.stdout)?.[1];
    expect(email).toBe('demo@pactum.example');
    expect(password?.length).toBeGreaterThanOrEqual(12);

    const second = await pactum(['demo'], { PACTUM_DATA_DIR: dataDir });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/exists/);
    expect(second.stdout).not.toContain(password!);
  });

  it('serves on a free port, answers /healthz, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: cleanEnv({ PACTUM_DATA_DIR: tempDir(), PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let output = '';
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (listening && output.includes('Pactum is ready')) resolve(listening[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      const response = await fetch(`${address}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe.runIf(serverUrl)('pactum command line against a PostgreSQL server', { timeout: 240_000 }, () => {
  const name = `pactum_cli_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl ?? 'postgres://unused');
  url.pathname = `/${name}`;

  async function admin(sql: string) {
    const client = new pg.Client({ connectionString: serverUrl! });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  afterAll(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

  it('refuses to work on an unmigrated server database, migrates it on request, then works', async () => {
    await admin(`CREATE DATABASE ${name}`);
    const env = { PACTUM_DATABASE_URL: url.href };
    const line = expectOneLineFailure(await pactum(['demo'], env));
    expect(line).toContain('pactum migrate');

    const first = await pactum(['migrate'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('0001_foundation.sql');
    const second = await pactum(['migrate'], env);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/up to date/i);

    const demo = await pactum(['demo'], env);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('demo@pactum.example');
  });
});
