import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { daysBetween, todayUtc } from '../deadlines/dates.js';
import { contractDeadlines } from '../deadlines/service.js';
import type { Schema } from '../db/schema.js';
import { asAppWithoutTenant, inTenant } from '../db/tenant-context.js';
import { MailNotAccepted, type Mailer, type MailMessage } from '../mail/mailer.js';
import { reminderMessage } from './message.js';
import * as queries from './queries.js';

export const REMINDER_LEASE = 'deadline-reminders';

export type JobLogger = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export interface ReminderJobDeps {
  kysely: Kysely<Schema>;
  mailer: Mailer;
  clock: () => Date;
  /** Lead times in days before a notice deadline (API default 90, 30, 7). */
  leadDays: readonly number[];
  logger: JobLogger;
  /** Who holds the lease: unique per process. */
  holder?: string;
  /**
   * How long a taken lease lasts. Longer than the scheduler's interval, so the node that runs the job keeps
   * it from run to run (one node does the work) and another takes over only once it stops renewing.
   */
  leaseSeconds?: number;
  /** For the link in the e-mail. */
  publicUrl?: URL | null;
}

export interface RunResult {
  /** False when another holder has the lease: this run did nothing. */
  ran: boolean;
  sent: number;
  failed: number;
}

export interface ReminderJob {
  runOnce(): Promise<RunResult>;
  /** Gives the lease up (on shutdown) so another node can take over at its next tick. */
  release(): Promise<void>;
  readonly holder: string;
}

interface Outgoing {
  message: MailMessage;
  ids: { tenantId: string; contractId: string; recipientId: string; deadline: string; leadDays: number };
}

/**
 * The lead time a reminder is due for today, if any: the smallest lead L with deadline − L ≤ today ≤
 * deadline. Taking the smallest one means a job that missed days catches up with one e-mail (the 7-day
 * reminder), not 90 + 30 + 7 at once; and once a smaller lead is due the larger ones are never sent late.
 */
export function dueLead(deadline: string, today: string, leadDays: readonly number[]): number | null {
  const daysLeft = daysBetween(today, deadline);
  if (daysLeft < 0) return null;
  const due = leadDays.filter((lead) => daysLeft <= lead);
  return due.length === 0 ? null : Math.min(...due);
}

/** What the record keeps of a failure: an error code, never an address or the message. */
function failureReason(error: unknown): string {
  if (error instanceof MailNotAccepted) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code.slice(0, 200) : 'unknown';
}

/**
 * The daily deadline reminders. Exactly one node works at a time: the one holding the 'deadline-reminders'
 * lease. It visits every active tenant and, for each active user, works inside that tenant AS that user,
 * so row-level security shows exactly the contracts the user may see — a restricted contract is never
 * mailed to someone outside its groups.
 *
 * Delivery is record-then-send: the reminder_deliveries row is committed first (its primary key makes
 * the claim unique across runs and nodes), and the e-mail goes out after the commit, never inside the
 * transaction; then the outcome is recorded. A reminder is therefore never sent twice. A send the mail
 * server certainly did not take (it refused, or could not be reached: MailNotAccepted) is marked
 * retryable and claimed again by later runs while its lead time is still the one due, up to
 * MAX_SEND_FAILURES (migration 0008). Any other failure — the server may have taken the message — is not
 * repeated. Every failure is logged as an error with the ids needed to follow it up. Sending first and
 * recording afterwards would instead repeat a reminder whenever the process died between the two.
 */
export function createReminderJob(deps: ReminderJobDeps): ReminderJob {
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${randomUUID()}`.slice(0, 200);
  const leaseSeconds = deps.leaseSeconds ?? 2 * 60 * 60;
  const takeLease = () => asAppWithoutTenant(deps.kysely, (tx) => queries.takeLease(tx, REMINDER_LEASE, holder, leaseSeconds));

  /** Sends what one user's claim returned, after its commit, and records each outcome. */
  async function send(tenantId: string, userId: string, outgoing: Outgoing[]): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    for (const { message, ids } of outgoing) {
      const outcome = await deps.mailer.send(message).then(
        () => null,
        (error: unknown) => error,
      );
      if (outcome === null) sent += 1;
      else failed += 1;
      const retryable = outcome instanceof MailNotAccepted;
      if (outcome !== null) {
        const next = retryable
          ? `the server did not take it, so later runs try again (${queries.MAX_SEND_FAILURES} failures in all)`
          : 'the server may have taken it, so it is not sent again';
        deps.logger.error({ err: outcome, reminder: ids }, `deadline reminder could not be sent; ${next}`);
      }
      try {
        await inTenant(deps.kysely, { tenantId, userId }, (tx) =>
          outcome === null ? queries.markSent(tx, ids) : queries.markFailed(tx, ids, { reason: failureReason(outcome), retryable }),
        );
      } catch (error) {
        // Unrecorded, the reminder stays claimed and is not sent again: a duplicate is not risked.
        deps.logger.error({ err: error, reminder: ids }, 'deadline reminder outcome could not be recorded');
      }
    }
    return { sent, failed };
  }

  /** Claims today's due reminders of one user in one transaction and returns the e-mails to send. */
  function claimForUser(tenantId: string, user: { id: string; name: string; email: string; role: 'master' | 'member' }, today: string) {
    return inTenant(deps.kysely, { tenantId, userId: user.id }, async (tx) => {
      const outgoing: Outgoing[] = [];
      for (const contract of await queries.contractsToRemind(tx, user)) {
        const dates = {
          endsOn: contract.ends_on,
          noticePeriodDays: contract.notice_period_days,
          autoRenew: contract.auto_renew,
          renewalTermMonths: contract.renewal_term_months,
        };
        const deadlines = contractDeadlines(dates, today);
        const notice = deadlines.find((deadline) => deadline.type === 'notice');
        const end = deadlines.find((deadline) => deadline.type === 'end');
        if (!notice || !end) continue;
        const lead = dueLead(notice.date, today, deps.leadDays);
        if (lead === null) continue;
        const ids = { tenantId, contractId: contract.id, recipientId: user.id, deadline: notice.date, leadDays: lead };
        if (!(await queries.claimDelivery(tx, ids))) continue;
        outgoing.push({
          ids,
          message: reminderMessage({
            recipient: user,
            reason: contract.manager_id === user.id ? 'manager' : 'master',
            contract: {
              id: contract.id,
              title: contract.title,
              vendorName: contract.vendor_name,
              autoRenew: contract.auto_renew,
              renewalTermMonths: contract.renewal_term_months,
            },
            term: { noticeDeadline: notice.date, endsOn: end.date },
            today,
            publicUrl: deps.publicUrl ?? null,
          }),
        });
      }
      return outgoing;
    });
  }

  return {
    holder,
    async runOnce() {
      const result: RunResult = { ran: false, sent: 0, failed: 0 };
      if (!(await takeLease())) return result;
      result.ran = true;
      const today = todayUtc(deps.clock());
      const tenants = await asAppWithoutTenant(deps.kysely, (tx) => queries.activeTenants(tx));
      for (const tenantId of tenants) {
        // Renewing per tenant keeps a long run covered and stops it at once if another node took over.
        if (!(await takeLease())) {
          deps.logger.warn({ holder }, 'deadline reminders: lease lost mid-run; stopping');
          break;
        }
        try {
          const users = await inTenant(deps.kysely, { tenantId, userId: null }, (tx) => queries.activeUsers(tx));
          for (const user of users) {
            const outgoing = await claimForUser(tenantId, user, today);
            const outcome = await send(tenantId, user.id, outgoing);
            result.sent += outcome.sent;
            result.failed += outcome.failed;
          }
        } catch (error) {
          deps.logger.error({ err: error, tenantId }, 'deadline reminders failed for a tenant; continuing with the next');
        }
      }
      if (result.sent > 0 || result.failed > 0)
        deps.logger.info({ today, sent: result.sent, failed: result.failed }, 'deadline reminders sent');
      return result;
    },
    async release() {
      await asAppWithoutTenant(deps.kysely, (tx) => queries.releaseLease(tx, REMINDER_LEASE, holder));
    },
  };
}
