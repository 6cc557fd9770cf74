import { createHash } from 'node:crypto';
import { normalizePassword } from './password-hashing.js';

export type BreachCheckResult = 'breached' | 'clean' | 'unavailable';

export type BreachedPasswordChecker = {
  isBreached(password: string): Promise<BreachCheckResult>;
};

export type PwnedPasswordsClientOptions = {
  /** e.g. https://api.pwnedpasswords.com */
  baseUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
};

// The range API uses k-anonymity: only the first 5 hex characters of the
// SHA-1 leave this server, and the service answers every suffix sharing them.
const hashPrefixLength = 5;

/**
 * Client for the Have I Been Pwned "Pwned Passwords" range API.
 * Never throws: any failure to get an answer is 'unavailable', and the
 * caller decides what an outage means.
 */
export function createPwnedPasswordsClient({
  baseUrl,
  fetch = globalThis.fetch,
  timeoutMs = 3000,
}: PwnedPasswordsClientOptions): BreachedPasswordChecker {
  const rangeUrlBase = baseUrl.replace(/\/+$/, '');

  return {
    async isBreached(password) {
      const digest = sha1UppercaseHex(normalizePassword(password));
      const prefix = digest.slice(0, hashPrefixLength);
      const suffix = digest.slice(hashPrefixLength);
      const rangeBody = await fetchRange(fetch, `${rangeUrlBase}/range/${prefix}`, timeoutMs);
      if (rangeBody === null) return 'unavailable';
      return rangeContainsBreachedSuffix(rangeBody, suffix) ? 'breached' : 'clean';
    },
  };
}

function sha1UppercaseHex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();
}

async function fetchRange(fetch: typeof globalThis.fetch, url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(url, {
      // Padding adds fake suffixes with count 0 so that the response size does
      // not hint at which prefix (and so which password) was asked about.
      headers: { 'Add-Padding': 'true' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) return null;
    return await response.text();
  } catch {
    return null;
  }
}

/** Lines are `SUFFIX:COUNT`; padding lines have count 0 and are not breaches. */
function rangeContainsBreachedSuffix(rangeBody: string, suffix: string): boolean {
  return rangeBody.split(/\r?\n/).some((line) => {
    const [lineSuffix, count] = line.trim().split(':');
    return lineSuffix?.toUpperCase() === suffix && Number.parseInt(count ?? '0', 10) > 0;
  });
}
