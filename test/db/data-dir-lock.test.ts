import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, isProcessRunning, processIdentity } from '../../src/db/data-dir-lock.js';
import { runCommand } from '../helpers/run-command.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tempDirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-lock-unit-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function entries(dataDir: string) {
  return readdirSync(join(dataDir, 'pactum.lock'));
}

/** A real other process to stand in for a lock owner: its identity, and a way to kill it with SIGKILL. */
async function otherProcess() {
  const child = spawn('sleep', ['120'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    identity: processIdentity(child.pid!),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('data-directory lock', () => {
  it('admits one owner and refuses the next, naming the owner, until released', () => {
    const dataDir = tempDir();
    const lock = acquireDataDirLock(dataDir, { command: 'pactum serve' });
    let refusal: unknown;
    try {
      acquireDataDirLock(dataDir, { command: 'pactum demo' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as DataDirLockedError).holder).toMatchObject({ pid: process.pid, command: 'pactum serve' });
    expect(entries(dataDir)).toHaveLength(1);

    lock.release();
    lock.release();
    expect(entries(dataDir)).toEqual([]);
    acquireDataDirLock(dataDir, { command: 'pactum demo' }).release();
  });

  it('refuses while another live process holds it, and takes over once that process was killed with SIGKILL', async () => {
    const dataDir = tempDir();
    const owner = await otherProcess();
    try {
      acquireDataDirLock(dataDir, { command: 'pactum serve', self: owner.identity });
      expect(() => acquireDataDirLock(dataDir, { command: 'pactum migrate' })).toThrow(/in use by `pactum serve` \(PID \d+/);
      expect(entries(dataDir)).toHaveLength(1);
    } finally {
      await owner.kill9();
    }
    const lock = acquireDataDirLock(dataDir, { command: 'pactum migrate' });
    expect(entries(dataDir)).toEqual([expect.stringMatching(new RegExp(`^${process.pid}_`))]);
    lock.release();
  });

  it('treats a PID now used by a process that started at another moment, or a claim from another boot, as stale', () => {
    const self = processIdentity();
    // These checks need /proc (Linux); elsewhere a live PID alone keeps a claim, which errs on refusing.
    expect(self.startTicks).not.toBeNull();
    expect(isProcessRunning(self)).toBe(true);
    expect(isProcessRunning({ ...self, startTicks: self.startTicks! + 1 })).toBe(false);
    expect(isProcessRunning({ ...self, bootId: '00000000-0000-0000-0000-000000000000' })).toBe(false);

    const dataDir = tempDir();
    // The parent (vitest's runner) is alive; a claim with its PID but another start time is a reused PID.
    acquireDataDirLock(dataDir, { command: 'pactum serve', self: { ...self, pid: process.ppid, startTicks: 1 } });
    const lock = acquireDataDirLock(dataDir, { command: 'pactum serve' });
    expect(entries(dataDir)).toEqual([expect.stringMatching(new RegExp(`^${process.pid}_`))]);
    lock.release();
  });

  it('leaves a claim it cannot read to a human, naming the file', () => {
    const dataDir = tempDir();
    acquireDataDirLock(dataDir, { command: 'x' }).release();
    writeFileSync(join(dataDir, 'pactum.lock', 'copied-by-hand.claim'), '');
    expect(() => acquireDataDirLock(dataDir, { command: 'pactum serve' })).toThrow(/unreadable lock entry .*copied-by-hand\.claim/);
  });

  it('admits at most one of several processes racing for a directory with a stale claim', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const dead = await otherProcess();
    acquireDataDirLock(dataDir, { command: 'pactum serve', self: dead.identity });
    await dead.kill9();
    // Each racer holds what it got for a while, so two admissions would overlap and both print "admitted".
    const script = `
      const { acquireDataDirLock } = await import(${JSON.stringify(join(ROOT, 'src/db/data-dir-lock.ts'))});
      try {
        const lock = acquireDataDirLock(process.argv[1], { command: 'racer' });
        console.log('admitted');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        lock.release();
      } catch (error) {
        console.log(error.constructor.name);
      }`;
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dataDir], {
          cwd: ROOT,
          env: process.env,
          timeoutMs: 90_000,
        }),
      ),
    );
    const outcomes = results.map((result) => result.stdout.trim() || result.stderr);
    expect(outcomes.filter((outcome) => outcome === 'admitted').length, outcomes.join('\n')).toBeLessThanOrEqual(1);
    expect(
      outcomes.every((outcome) => outcome === 'admitted' || outcome === 'DataDirLockedError'),
      outcomes.join('\n'),
    ).toBe(true);
    expect(entries(dataDir)).toEqual([]);
  });
});
