import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Schema } from '../db/schema.js';
import { asAppWithoutTenant } from '../db/tenant-context.js';
import type { JobLogger } from '../reminders/job.js';
import { releaseLease, takeLease } from '../reminders/queries.js';
import { startScheduler, type Scheduler } from '../reminders/scheduler.js';
import * as queries from './queries.js';
import type { DocumentStorage } from './storage.js';

export const DOCUMENT_SWEEP_LEASE = 'document-sweep';

/** Keys asked about per call of pactum_referenced_document_keys (its limit is 1000). */
const BATCH = 500;

export interface DocumentSweepDeps {
  kysely: Kysely<Schema>;
  storage: DocumentStorage;
  clock: () => Date;
  /** Only what is older than this is touched: an upload in flight has its blob before its row. */
  graceSeconds: number;
  logger: JobLogger;
  /** Who holds the lease: unique per process. */
  holder?: string;
  /** Longer than the scheduler's interval, so one node keeps the job until it stops renewing. */
  leaseSeconds?: number;
}

export interface SweepResult {
  /** False when another holder has the lease: this run did nothing. */
  ran: boolean;
  removedBlobs: number;
  removedLeftovers: number;
}

export interface DocumentSweep {
  runOnce(): Promise<SweepResult>;
  release(): Promise<void>;
  readonly holder: string;
}

/**
 * Removes what failed uploads left in the document storage: temporary `.upload-*.tmp` files and blobs
 * that no documents row references, once older than the grace period. One node at a time (the
 * 'document-sweep' lease). Whether a blob is referenced is asked of the database through
 * pactum_referenced_document_keys() (migration 0013), which sees every tenant's rows, including those of
 * restricted contracts: nothing a row points to is ever removed.
 */
export function createDocumentSweep(deps: DocumentSweepDeps): DocumentSweep {
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${randomUUID()}`.slice(0, 200);
  const leaseSeconds = deps.leaseSeconds ?? 10 * 60;
  const lease = () => asAppWithoutTenant(deps.kysely, (tx) => takeLease(tx, DOCUMENT_SWEEP_LEASE, holder, leaseSeconds));

  /** Deletes the unreferenced blobs of one batch; returns how many. */
  async function sweepBatch(keys: string[]): Promise<number> {
    const referenced = new Set(await asAppWithoutTenant(deps.kysely, (tx) => queries.referencedStorageKeys(tx, keys)));
    let removed = 0;
    for (const key of keys) {
      if (referenced.has(key)) continue;
      await deps.storage.delete(key);
      deps.logger.info({ storageKey: key }, 'orphaned document blob removed');
      removed += 1;
    }
    return removed;
  }

  async function sweepAll(result: SweepResult): Promise<SweepResult> {
    const cutoff = deps.clock().getTime() - deps.graceSeconds * 1000;
    let batch: string[] = [];
    for await (const entry of deps.storage.list()) {
      if (entry.modifiedAt.getTime() > cutoff) continue;
      if (entry.kind === 'leftover') {
        await deps.storage.deleteLeftover(entry.name);
        result.removedLeftovers += 1;
        continue;
      }
      batch.push(entry.key);
      if (batch.length < BATCH) continue;
      result.removedBlobs += await sweepBatch(batch);
      batch = [];
      // Renewing per batch keeps a long run covered and stops it if another node took over.
      if (!(await lease())) {
        deps.logger.warn({ holder }, 'document sweep: lease lost mid-run; stopping');
        return result;
      }
    }
    if (batch.length > 0) result.removedBlobs += await sweepBatch(batch);
    if (result.removedBlobs > 0 || result.removedLeftovers > 0) {
      deps.logger.info(
        { removedBlobs: result.removedBlobs, removedLeftovers: result.removedLeftovers },
        'document sweep removed what failed uploads left behind',
      );
    }
    return result;
  }

  const release = () => asAppWithoutTenant(deps.kysely, (tx) => releaseLease(tx, DOCUMENT_SWEEP_LEASE, holder));

  return {
    holder,
    async runOnce() {
      const result: SweepResult = { ran: false, removedBlobs: 0, removedLeftovers: 0 };
      if (!(await lease())) return result;
      result.ran = true;
      // Held for the run only: a node killed between runs must not keep the next start from sweeping
      // what its crash left behind. A node killed mid-run blocks others for leaseSeconds at most.
      try {
        return await sweepAll(result);
      } finally {
        await release().catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'could not release the document sweep lease; it expires by itself'),
        );
      }
    },
    release,
  };
}

/** What `pactum serve` starts: the sweep at start and then hourly, on the real clock, with the configured grace. */
export function startDocumentSweepScheduler(options: {
  config: Config;
  kysely: Kysely<Schema>;
  storage: DocumentStorage;
  logger: JobLogger;
}): Scheduler {
  const job = createDocumentSweep({
    kysely: options.kysely,
    storage: options.storage,
    clock: () => new Date(),
    graceSeconds: options.config.documentSweepGraceSeconds,
    logger: options.logger,
  });
  return startScheduler({ job, logger: options.logger, name: 'document sweep' });
}
