import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import type { Actor } from './sessions.js';

/**
 * The checks every feature makes about its caller, written once. The actor is what the session guard
 * read in the request's own transaction, so a role or authentication time is never stale.
 */

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
