import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (session cookies, invitation and password-reset links): 256 bits from the CSPRNG,
 * base64url in the wild, only the SHA-256 at rest — a database leak yields nothing usable. A plain hash
 * is enough: the input is uniformly random, so there is nothing to brute-force.
 */
export function hashSecretToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function newSecretToken(): { token: string; tokenHash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashSecretToken(token) };
}
