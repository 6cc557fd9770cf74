import type { FastifyRequest } from 'fastify';
import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';

/**
 * Who the caller is, how a feature asks for it, and the checks every feature makes about it, written
 * once. The actor is what the session guard read in the request's own transaction, so a role or an
 * authentication time is never stale.
 */

/** The signed-in caller of a request, as the database confirmed it in this very transaction. */
export interface Actor {
  sessionId: string;
  tenantId: string;
  userId: string;
  role: 'master' | 'member';
  authenticatedAt: Date;
}

/**
 * Runs a request's work in one transaction whose tenant and user come from the session cookie, checked
 * in that same transaction: a session revoked a moment ago cannot slip a request through. A request that
 * changes something checks its session once more before it commits, under a share lock: a revocation
 * that committed while the request was in flight fails the request (and rolls its writes back), and one
 * still running waits for this commit, so no write of a revoked session ever lands after its revocation.
 */
export interface SessionGuard {
  /** For work that needs to know its caller (role checks, audit): the session is checked first. */
  <T>(request: FastifyRequest, work: (tx: Tx, actor: Actor) => Promise<T>): Promise<T>;
  /**
   * For reads whose reach row-level security alone decides, so the work needs no actor: a scoped read
   * (readInSession). The session check goes to the database with the work's first statement, the
   * transaction is READ ONLY after it, and the database refuses whatever was sent behind a check that
   * failed (pactum_require_session). A dead session answers 401, even if the work failed first.
   */
  scoped<T>(request: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A scoped read at REPEATABLE READ: every statement of the work sees the same snapshot, for reads that
   * span many statements and must agree with each other (the Office export's sheets).
   */
  snapshot<T>(request: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Master-only routes answer a member with 403, not 404: they are tenant-wide (no id of anything to hide),
 * so the refusal reveals nothing but the caller's own role.
 */
export function requireMaster(actor: Pick<Actor, 'role'>): void {
  if (actor.role !== 'master') throw new ProblemError(403, 'forbidden', 'Only a master may do this.');
}

/**
 * ASVS 3.7.1: changes to who may see or do what (roles, revocation, group membership, exports) need a
 * proof of identity from the last 15 minutes. Login counts (it sets the session's authentication time),
 * and so does a step-up code; the time comes from the database in the request's own transaction.
 */
export const RECENT_AUTHENTICATION_SECONDS = 15 * 60;

export function requireRecentAuthentication(actor: Pick<Actor, 'authenticatedAt'>, now: Date = new Date()): void {
  if (now.getTime() - actor.authenticatedAt.getTime() > RECENT_AUTHENTICATION_SECONDS * 1000) {
    throw new ProblemError(403, 'reauthentication_required', 'Confirm it is you with a new code (step-up), then try again.');
  }
}

/** Whether a user of the caller's tenant (row-level security decides which tenant) is active. */
export async function isActiveUser(tx: Tx, userId: string): Promise<boolean> {
  const row = await tx.selectFrom('users').select('id').where('id', '=', userId).where('status', '=', 'active').executeTakeFirst();
  return row !== undefined;
}
