import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { inTenant, type Tx } from '../db/tenant-context.js';
import { ProblemError, type ProblemCode } from '../http/problem.js';
import type { Actor, SessionGuard } from '../identity/actor.js';
import type { AuditAction } from './actions.js';
import { spendRefusalBudget } from './queries.js';
import { recordAudit, type AuditContext } from './record.js';
import { auditContext } from './request-context.js';

/** Refusals recorded one by one per actor and minute; the rest are counted into one summary row. */
export const REFUSALS_RECORDED_PER_ACTOR = 20;
export const REFUSAL_WINDOW_SECONDS = 60;

/** The answers that mean "refused": forbidden or needing a step-up (403), a rule (409), bad input (400), too many (429). */
const REFUSAL_STATUSES = new Set([400, 403, 409, 429]);

/** What was attempted, as the audit row of its refusal names it. */
export interface RefusedAttempt {
  /** Dotted snake_case ending in `_refused`, e.g. `user.role_change_refused`. */
  action: AuditAction;
  target?: { type: string; id: string };
  /** Never secrets; the reason code is added. */
  details?: Record<string, unknown>;
  /** Whether a refusal concerns what this attempt names (default: every refusal does). */
  concerns?: (problem: ProblemError) => boolean;
}

export interface RefusalLog {
  record(actor: Pick<Actor, 'tenantId' | 'userId'>, context: AuditContext, attempt: RefusedAttempt, reason: ProblemCode): Promise<void>;
}

/**
 * Records refused attempts in a transaction of their own: the refused transaction rolled back with its
 * audit row, and a refusal is exactly what an investigation needs to see. Bounded per actor (the
 * database keeps the budget, so every node counts together): the first `perActor` refusals of a window are
 * recorded, the first one over writes `audit.refusals_throttled`, later ones are only counted, and the
 * actor's next refusal after the window writes their count as `audit.refusals_suppressed`.
 */
export function createRefusalLog(options: { kysely: Kysely<Schema>; perActor?: number; windowSeconds?: number }): RefusalLog {
  const perActor = options.perActor ?? REFUSALS_RECORDED_PER_ACTOR;
  const windowSeconds = options.windowSeconds ?? REFUSAL_WINDOW_SECONDS;
  return {
    record: (actor, context, attempt, reason) =>
      inTenant(options.kysely, { tenantId: actor.tenantId, userId: actor.userId }, async (tx) => {
        const budget = await spendRefusalBudget(tx, actor.userId, perActor, windowSeconds);
        const self = { type: 'user', id: actor.userId };
        const windowStartedAt = new Date(budget.previous_window_start).toISOString();
        if (budget.suppressed_before > 0) {
          await recordAudit(tx, context, {
            action: 'audit.refusals_suppressed',
            outcome: 'denied',
            target: self,
            details: { count: budget.suppressed_before, windowStartedAt },
          });
        }
        if (budget.write_row) {
          await recordAudit(tx, context, {
            action: attempt.action,
            outcome: 'denied',
            target: attempt.target,
            details: { ...attempt.details, reason },
          });
        } else if (budget.first_suppressed) {
          await recordAudit(tx, context, {
            action: 'audit.refusals_throttled',
            outcome: 'denied',
            target: self,
            details: { limit: perActor, windowStartedAt },
          });
        }
      }),
  };
}

export type RefusalAuditedWork = <T>(
  request: FastifyRequest,
  attempt: RefusedAttempt,
  work: (tx: Tx, actor: Actor) => Promise<T>,
) => Promise<T>;

/** A session guard that can also run work whose refusal is audited (`withSession.auditingRefusal`). */
export interface AuditingSessionGuard extends SessionGuard {
  auditingRefusal: RefusalAuditedWork;
}

/**
 * Adds `auditingRefusal` to a session guard: the work runs as with the guard itself, and when it is
 * refused (a problem with a status in REFUSAL_STATUSES) after the caller was known, the refusal is
 * recorded once the refused transaction has rolled back. A failure to record is logged and never hides
 * the refusal's own answer.
 */
export function auditingRefusals(
  withSession: SessionGuard,
  refusals: RefusalLog,
  logger?: Pick<FastifyBaseLogger, 'error'>,
): AuditingSessionGuard {
  const auditingRefusal: RefusalAuditedWork = async (request, attempt, work) => {
    let caller: Actor | undefined;
    try {
      return await withSession(request, (tx, actor) => {
        caller = actor;
        return work(tx, actor);
      });
    } catch (error) {
      if (caller && error instanceof ProblemError && REFUSAL_STATUSES.has(error.status) && (attempt.concerns?.(error) ?? true)) {
        await refusals.record(caller, auditContext(request, caller), attempt, error.code).catch((failure: unknown) => {
          (logger ?? request.log).error({ err: failure, action: attempt.action }, 'a refused attempt could not be recorded');
        });
      }
      throw error;
    }
  };
  const guard = <T>(request: FastifyRequest, work: (tx: Tx, actor: Actor) => Promise<T>) => withSession(request, work);
  return Object.assign(guard, { scoped: withSession.scoped, snapshot: withSession.snapshot, auditingRefusal });
}
