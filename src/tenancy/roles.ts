import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import * as queries from './queries.js';

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
