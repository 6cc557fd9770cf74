import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/run-command.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'pactum-cli-wait-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A loopback port with nothing listening on it: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('pactum serve while the database is unreachable', { timeout: 60_000 }, () => {
  it('retries with a log line per attempt, then exits non-zero with one line, never printing the password', async () => {
    const port = await closedPort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PACTUM_|NODE_ENV$|PORT$|VITEST)/.test(name)));
    const started = Date.now();
    const result = await runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: '0',
        PACTUM_DATA_DIR: dataDir,
        PACTUM_DATABASE_URL: `postgres://pactum_app:s3cret-db-password@127.0.0.1:${port}/pactum`,
        PACTUM_DATABASE_WAIT_SECONDS: '3',
      },
      timeoutMs: 45_000,
    });
    const elapsedMs = Date.now() - started;
    expect(result.status, result.stderr).toBe(1);
    const attempts = result.stdout.split('\n').filter((line) => line.includes('database not reachable yet'));
    expect(attempts.length, result.stdout).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(attempts[0]!)).toMatchObject({
      attempt: 1,
      database: `127.0.0.1:${port}/pactum`,
      reason: expect.stringContaining('ECONNREFUSED'),
    });
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^pactum: the database at 127\.0\.0\.1:\d+\/pactum was not reachable within PACTUM_DATABASE_WAIT_SECONDS=3 /);
    expect(result.stdout + result.stderr).not.toContain('s3cret-db-password');
    // It waited about as long as configured (tsx start-up included), not for ever.
    expect(elapsedMs).toBeGreaterThanOrEqual(3_000);
  });
});
