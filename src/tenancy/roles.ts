import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import type { Actor } from '../identity/sessions.js';
import * as queries from './queries.js';

/**
 * Master-only routes answer a member with 403, not 404: they are tenant-wide (no id of anything to hide),
 * so the refusal reveals nothing but the caller's own role. The role is the one the session guard read in
 * this very transaction.
 */
export function requireMaster(actor: Pick<Actor, 'role'>): void {
  if (actor.role !== 'master') throw new ProblemError(403, 'forbidden', 'Only a master may do this.');
}

const lastMaster = () =>
  new ProblemError(409, 'last_master', 'Your company needs at least one active master. Make someone else master first.');

/**
 * A tenant always keeps an active master. Called with the tenant locked for role changes, so the count
 * cannot be stale by the time the change commits.
 */
export async function ensureAnotherActiveMaster(tx: Tx, leavingUserId: string): Promise<void> {
  if ((await queries.countOtherActiveMasters(tx, leavingUserId)) === 0) throw lastMaster();
}

export function isActiveMaster(user: { role: string; status: string }): boolean {
  return user.role === 'master' && user.status === 'active';
}
