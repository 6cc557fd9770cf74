import { ProblemError } from '../http/problem.js';
import type { Actor } from './sessions.js';

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
