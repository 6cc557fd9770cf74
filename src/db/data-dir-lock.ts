import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Who a process is, in a form that survives PID reuse: the PID, its start time in clock ticks since boot
 * (field 22 of /proc/<pid>/stat) and the boot it belongs to. null where the system does not tell us
 * (no /proc): then a live PID alone counts as the owner, which errs on the side of refusing.
 */
export interface ProcessIdentity {
  pid: number;
  startTicks: number | null;
  bootId: string | null;
}

/** What a claim says about its owner, for the refusal message. */
export interface LockHolder extends ProcessIdentity {
  command: string;
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(`${dataDir} is in use by \`${holder.command}\` (PID ${holder.pid}, since ${holder.since})`);
  }
}

export interface DataDirLock {
  /** Idempotent; also runs on process exit if the owner forgot. */
  release(): void;
}

export interface LockOptions {
  /** What the owner runs, shown to whoever is refused (e.g. "pactum serve"). */
  command: string;
  /** Tests stand in for other processes; the default is this process. */
  self?: ProcessIdentity;
  /** Tests decide liveness of their stand-ins; the default asks the operating system. */
  isRunning?: (identity: ProcessIdentity) => boolean;
  now?: () => Date;
}

export const LOCK_DIR_NAME = 'pactum.lock';
const CLAIM = '.claim';
const PENDING = '.pending';

/**
 * An exclusive lock on a data directory, held by whoever is the only live claimant.
 *
 * Each process writes its own claim, named after its identity, into `<dataDir>/pactum.lock/` (written under
 * a private name, then hard-linked into place, so a claim is never seen half-written), and then reads the
 * directory: claims of processes that are gone are deleted, and if any live claim other than its own
 * remains, it withdraws its claim and is refused. Two starters can therefore never both proceed — each
 * one's listing comes after its own claim, so at least one of them sees the other — and taking over from
 * a dead owner is only the deletion of a name that no process will ever write again, which two starters
 * may both do without harm. There is no takeover race to win or lose. The price: two processes starting
 * in the same instant may both be refused; they are never both admitted.
 */
export function acquireDataDirLock(dataDir: string, options: LockOptions): DataDirLock {
  const self = options.self ?? processIdentity();
  const isRunning = options.isRunning ?? isProcessRunning;
  const dir = join(dataDir, LOCK_DIR_NAME);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const name = claimName(self);
  const pending = join(dir, `${name}${PENDING}`);
  const claim = join(dir, `${name}${CLAIM}`);
  const holder: LockHolder = { ...self, command: options.command, since: (options.now?.() ?? new Date()).toISOString() };
  writeFileSync(pending, `${JSON.stringify(holder)}\n`, { flag: 'w', mode: 0o600 });
  try {
    linkSync(pending, claim);
  } catch (error) {
    // The same identity holds it already: this very process opened the directory once before.
    if (isCode(error, 'EEXIST')) throw new DataDirLockedError(dataDir, readHolder(dir, `${name}${CLAIM}`) ?? holder);
    throw error;
  } finally {
    removeIfPresent(pending);
  }

  const rival = liveRival(dir, name, isRunning);
  if (rival) {
    removeIfPresent(claim);
    throw new DataDirLockedError(dataDir, rival);
  }

  let held = true;
  const releaseOnExit = () => release();
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', releaseOnExit);
    removeIfPresent(claim);
  };
  // A crash that still runs 'exit' handlers (process.exit, an uncaught error) leaves no claim behind.
  process.on('exit', releaseOnExit);
  return { release };
}

/** The first other claimant still running; claims (and half-made claims) of the dead are swept away. */
function liveRival(dir: string, ownName: string, isRunning: (identity: ProcessIdentity) => boolean): LockHolder | null {
  for (const entry of readdirSync(dir).sort()) {
    const suffix = entry.endsWith(CLAIM) ? CLAIM : entry.endsWith(PENDING) ? PENDING : null;
    if (!suffix) continue;
    const base = entry.slice(0, -suffix.length);
    if (base === ownName) continue;
    const identity = parseClaimName(base);
    // A name we cannot read is not ours to delete; treat it as a live owner, so the refusal names the file.
    if (!identity) {
      if (suffix === CLAIM)
        return { pid: Number.NaN, startTicks: null, bootId: null, command: `unreadable lock entry ${join(dir, entry)}`, since: 'unknown' };
      continue;
    }
    if (!isRunning(identity)) {
      removeIfPresent(join(dir, entry));
      continue;
    }
    if (suffix === CLAIM) return readHolder(dir, entry) ?? { ...identity, command: 'an unknown command', since: 'unknown' };
  }
  return null;
}

function claimName(identity: ProcessIdentity): string {
  return `${identity.pid}_${identity.startTicks ?? '-'}_${identity.bootId ?? '-'}`;
}

function parseClaimName(name: string): ProcessIdentity | null {
  const match = /^(\d{1,10})_(\d{1,20}|-)_([0-9a-f-]{1,64})$/.exec(name);
  if (!match) return null;
  return {
    pid: Number(match[1]),
    startTicks: match[2] === '-' ? null : Number(match[2]),
    bootId: match[3] === '-' ? null : match[3]!,
  };
}

function readHolder(dir: string, entry: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, entry), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.command !== 'string') return null;
    return {
      pid: parsed.pid,
      startTicks: parsed.startTicks ?? null,
      bootId: parsed.bootId ?? null,
      command: parsed.command.slice(0, 200),
      since: typeof parsed.since === 'string' ? parsed.since.slice(0, 40) : 'unknown',
    };
  } catch {
    return null;
  }
}

/** The identity of a running process on this machine (by default this one). */
export function processIdentity(pid: number = process.pid): ProcessIdentity {
  return { pid, startTicks: processStartTicks(pid), bootId: currentBootId() };
}

/**
 * Is the process that made a claim still running? A PID that is gone, a zombie (it holds no files any
 * more), another boot, or a PID now used by a process that started at another moment all say no.
 */
export function isProcessRunning(identity: ProcessIdentity): boolean {
  const bootId = currentBootId();
  if (identity.bootId && bootId && identity.bootId !== bootId) return false;
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    // EPERM: it exists and belongs to another user.
    if (!isCode(error, 'EPERM')) return false;
  }
  const stat = readProcStat(identity.pid);
  if (stat === undefined) return true;
  if (stat === null || stat.state === 'Z') return false;
  return identity.startTicks === null || stat.startTicks === identity.startTicks;
}

/** undefined: no /proc on this system; null: no such process. */
function readProcStat(pid: number): { state: string; startTicks: number } | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ESRCH')) return PROC_AVAILABLE ? null : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isSafeInteger(startTicks)) return undefined;
  return { state: fields[0], startTicks };
}

const PROC_AVAILABLE = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

function processStartTicks(pid: number): number | null {
  return readProcStat(pid)?.startTicks ?? null;
}

let bootId: string | null | undefined;
function currentBootId(): string | null {
  if (bootId === undefined) {
    try {
      const value = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      bootId = /^[0-9a-f-]{1,64}$/.test(value) ? value : null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

function removeIfPresent(path: string) {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
