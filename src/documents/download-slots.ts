import { ProblemError } from '../http/problem.js';

export interface DownloadSlotLimits {
  /** Downloads one user may have running at once on this node. */
  perUser: number;
  /** Downloads this node serves at once, all users together. */
  perNode: number;
}

export interface DownloadSlots {
  /** Takes a slot for the user or throws 429 rate_limited; the returned function gives it back (once). */
  acquire(userId: string): () => void;
  /** Slots in use (for tests and logs). */
  inUse(): number;
}

/** Seconds a refused client is told to wait: downloads of 25 MiB take seconds, not minutes. */
const RETRY_AFTER_SECONDS = 5;

const tooMany = (detail: string) => new ProblemError(429, 'rate_limited', detail, {}, { 'retry-after': String(RETRY_AFTER_SECONDS) });

/**
 * Counts running downloads in this process. A download holds a file descriptor or an S3 connection and
 * its buffers until the client has read it all, so how many run at once — not how many start per minute —
 * is what bounds a node's memory and sockets. Per node, not cluster-wide: what it protects is this node.
 */
export function createDownloadSlots(limits: DownloadSlotLimits): DownloadSlots {
  const perUser = new Map<string, number>();
  let total = 0;
  return {
    acquire(userId) {
      const mine = perUser.get(userId) ?? 0;
      if (mine >= limits.perUser) throw tooMany(`At most ${limits.perUser} downloads may run at once per user; wait for one to finish.`);
      if (total >= limits.perNode) throw tooMany('The service is serving as many downloads as it can; try again shortly.');
      perUser.set(userId, mine + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left > 0) perUser.set(userId, left);
        else perUser.delete(userId);
      };
    },
    inUse: () => total,
  };
}
