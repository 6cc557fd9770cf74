import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/record.js';
import type { BillingConfig } from '../config.js';
import type { Schema } from '../db/schema.js';
import { asAppWithoutTenant, inTenant } from '../db/tenant-context.js';
import type { JobLogger } from '../reminders/job.js';
import { startScheduler, type Scheduler } from '../reminders/scheduler.js';
import * as queries from './queries.js';
import { createStripeGateway, stripeErrorForLog, type StripeGateway } from './stripe-gateway.js';

/** How long one company's sync may hold its claim; a node that dies mid-sync frees it after this. */
const CLAIM_SECONDS = 60;
/** Companies synced per run; the rest wait for the next one. */
const BATCH = 100;
/** After a failure: 30 s, doubling, at most an hour between tries — a quantity must become right eventually. */
export const retryDelaySeconds = (failures: number) => Math.min(30 * 2 ** Math.max(0, failures - 1), 3600);

const ENDED = new Set(['canceled', 'incomplete_expired']);

export interface SeatSync {
  /** Syncs every company whose seats are due; resolves when done. */
  runOnce(): Promise<{ synced: number; failed: number }>;
  /** Asks for a run soon, after the current request's commit; runs never overlap on a node. */
  nudge(): void;
  /** Resolves once no run is in progress (for shutdown). */
  idle(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Keeps each subscription's quantity equal to its company's active users. A change of who is active
 * marks the company in its own transaction (a trigger, migration 0016); this sync runs after commit —
 * nudged by the request that made the change, and every minute on every node for anything missed or
 * failed — and never holds a transaction while it talks to Stripe: claim (commit), call Stripe, record
 * the outcome (commit). The per-company claim keeps two nodes from sending quantities out of order; a
 * change made during a sync raises the version again, so it is sent by the next run.
 */
export function createSeatSync(deps: { kysely: Kysely<Schema>; stripe: StripeGateway; logger: JobLogger }): SeatSync {
  let running: Promise<{ synced: number; failed: number }> | null = null;
  let again = false;

  async function syncCompany(tenantId: string): Promise<'synced' | 'failed' | 'skipped'> {
    const claim = await inTenant(deps.kysely, { tenantId, userId: null }, (tx) => queries.claimSeatSync(tx, CLAIM_SECONDS));
    if (!claim) return 'skipped';
    const { seat_version: version, stripe_subscription_id: subscriptionId, subscription_status: status, activeUsers } = claim;
    if (!subscriptionId || (status !== null && ENDED.has(status))) {
      // Nothing to bill yet (or any more): Checkout takes the count of its moment.
      await inTenant(deps.kysely, { tenantId, userId: null }, (tx) => queries.finishSeatSync(tx, version, null));
      return 'skipped';
    }
    const seats = Math.max(1, activeUsers);
    try {
      const current = await deps.stripe.subscriptionSeats(subscriptionId);
      if (current && current.quantity !== seats) {
        await deps.stripe.setSubscriptionSeats({
          subscriptionId,
          itemId: current.itemId,
          quantity: seats,
          idempotencyKey: `pactum-seats-${tenantId}-${version}`,
        });
      }
      await inTenant(deps.kysely, { tenantId, userId: null }, async (tx) => {
        await queries.finishSeatSync(tx, version, seats);
        if (current && current.quantity !== seats) {
          await recordAudit(
            tx,
            { actorId: null, ip: null, userAgent: null },
            {
              action: 'billing.seats_synced',
              target: { type: 'tenant', id: tenantId },
              details: { subscriptionId, from: current.quantity, to: seats },
            },
          );
        }
      });
      return 'synced';
    } catch (error) {
      const reason = String(stripeErrorForLog(error).type ?? 'unknown');
      const failures = await inTenant(deps.kysely, { tenantId, userId: null }, (tx) =>
        queries.failSeatSync(tx, reason, retryDelaySeconds(claim.seat_sync_failures + 1)),
      );
      const log = failures >= 5 ? deps.logger.error.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
      log({ tenantId, failures, stripe: stripeErrorForLog(error) }, 'billing seat sync failed; it is retried');
      return 'failed';
    }
  }

  async function runAll() {
    const result = { synced: 0, failed: 0 };
    do {
      again = false;
      const due = await asAppWithoutTenant(deps.kysely, (tx) => queries.seatSyncDue(tx, BATCH));
      for (const tenantId of due) {
        try {
          const outcome = await syncCompany(tenantId);
          if (outcome === 'synced') result.synced += 1;
          if (outcome === 'failed') result.failed += 1;
        } catch (error) {
          result.failed += 1;
          deps.logger.error({ err: error, tenantId }, 'billing seat sync could not run for a company; continuing');
        }
      }
    } while (again);
    return result;
  }

  const runOnce = () => {
    if (running) {
      again = true;
      return running;
    }
    running = runAll().finally(() => {
      running = null;
    });
    return running;
  };

  return {
    runOnce,
    nudge() {
      setImmediate(() => {
        runOnce().catch((error: unknown) => deps.logger.error({ err: error }, 'billing seat sync run failed; the next run retries'));
      });
    },
    async idle() {
      while (running) await running.catch(() => undefined);
    },
    async release() {
      // No lease to give up: each company's claim expires by itself.
    },
  };
}

/** What `pactum serve` starts when billing is on: the seat sync every minute, on every node. */
export function startSeatSyncScheduler(options: { config: BillingConfig; kysely: Kysely<Schema>; logger: JobLogger }): Scheduler {
  const job = createSeatSync({ kysely: options.kysely, stripe: createStripeGateway(options.config), logger: options.logger });
  return startScheduler({ job, logger: options.logger, intervalMs: 60_000, name: 'billing seat sync' });
}
