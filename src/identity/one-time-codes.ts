import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_TTL_SECONDS = 10 * 60;
export const MAX_FAILED_ATTEMPTS = 5;
export const RESEND_COOLDOWN_SECONDS = 30;

/** Six digits from the CSPRNG, leading zeros kept. */
export function generateCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * Codes are stored as HMAC(key, challengeId:code): a database reader cannot brute-force the 10^6
 * space without the key, and a code is bound to its own challenge.
 */
export function hashCode(key: Buffer, challengeId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`${challengeId}:${code}`).digest();
}

export function codeMatches(key: Buffer, challengeId: string, code: string, storedHash: Buffer): boolean {
  const candidate = hashCode(key, challengeId, code);
  return candidate.length === storedHash.length && timingSafeEqual(candidate, storedHash);
}
