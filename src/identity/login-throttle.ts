/**
 * Per-account login throttling after NIST SP 800-63B 5.2.2: growing delays once 5 consecutive attempts
 * have failed, and a hard stop at 100 that only a password reset lifts. Counted per e-mail whether or
 * not the account exists, so the throttle answers the same for registered and unknown addresses.
 */
export const FREE_FAILURES = 5;
export const HARD_STOP_FAILURES = 100;
const FIRST_DELAY_SECONDS = 5;
const MAX_DELAY_SECONDS = 15 * 60;

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; locked: boolean };

export function loginThrottle(failures: { consecutive: number; last_failed_at: Date } | undefined, now: Date): ThrottleDecision {
  if (!failures || failures.consecutive < FREE_FAILURES) return { allowed: true };
  if (failures.consecutive >= HARD_STOP_FAILURES) return { allowed: false, retryAfterSeconds: 3600, locked: true };
  const delaySeconds = Math.min(FIRST_DELAY_SECONDS * 2 ** (failures.consecutive - FREE_FAILURES), MAX_DELAY_SECONDS);
  const waitMs = new Date(failures.last_failed_at).getTime() + delaySeconds * 1000 - now.getTime();
  return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000), locked: false } : { allowed: true };
}
