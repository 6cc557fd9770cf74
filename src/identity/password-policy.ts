import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import type { BreachedPasswordChecker } from './breached-passwords.js';
import { normalizePassword } from './password-hashing.js';

export type PasswordVerdict = { ok: true } | { ok: false; reason: string };

export type PasswordContext = { email?: string; name?: string; companyName?: string };

export type PasswordPolicy = {
  check(password: string, context: PasswordContext): Promise<PasswordVerdict>;
};

// NIST 800-63B 5.1.1.2 and ASVS 6.2: a length floor, a generous ceiling, a
// blocklist and a strength estimate; deliberately no composition rules
// ("must contain a digit"), which push users to predictable patterns.
export const passwordLengthLimits = { minimum: 12, maximum: 256 } as const;

// Below 4 characters a name part ("Li", "Bo") occurs by chance in too many
// good passphrases to be worth rejecting.
const minimumPersonalTermLength = 4;

// zxcvbn score 3 = "safely unguessable: moderate protection from offline
// slow-hash scenario" (~10^10 guesses).
const minimumStrengthScore = 3;

const reasons = {
  tooShort: `Use at least ${passwordLengthLimits.minimum} characters.`,
  tooLong: `Use at most ${passwordLengthLimits.maximum} characters.`,
  common: 'This password is in a list of commonly used passwords.',
  personal: "Don't use your name, e-mail address or company name in your password.",
  weak: 'This password is too easy to guess; add more unrelated words.',
  breached: 'This password has appeared in a data breach; choose another.',
} as const;

type LocalRule = (password: string, personalTerms: string[]) => string | null;

const localRules: LocalRule[] = [rejectTooShort, rejectTooLong, rejectCommonPassword, rejectPersonalTerms, rejectWeakEstimate];

export function createPasswordPolicy({ breachedPasswords }: { breachedPasswords: BreachedPasswordChecker | null }): PasswordPolicy {
  return {
    async check(password, context) {
      const normalized = normalizePassword(password);
      const personalTerms = collectPersonalTerms(context);
      for (const rule of localRules) {
        const reason = rule(normalized, personalTerms);
        if (reason !== null) return { ok: false, reason };
      }
      if (breachedPasswords !== null && (await breachedPasswords.isBreached(normalized)) === 'breached') {
        return { ok: false, reason: reasons.breached };
      }
      // 'unavailable' is accepted on purpose (fail open): an outage of a
      // third-party service must not block signups, and the local dictionary
      // and strength estimate above still apply.
      return { ok: true };
    },
  };
}

function codePointLength(text: string): number {
  return [...text].length;
}

function rejectTooShort(password: string): string | null {
  return codePointLength(password) < passwordLengthLimits.minimum ? reasons.tooShort : null;
}

// Rejected rather than truncated: silently hashing only a prefix would make
// every password sharing that prefix valid.
function rejectTooLong(password: string): string | null {
  return codePointLength(password) > passwordLengthLimits.maximum ? reasons.tooLong : null;
}

function rejectCommonPassword(password: string): string | null {
  return getCommonPasswords().has(password.toLowerCase()) ? reasons.common : null;
}

function rejectPersonalTerms(password: string, personalTerms: string[]): string | null {
  const lowercased = password.toLowerCase();
  return personalTerms.some((term) => lowercased.includes(term)) ? reasons.personal : null;
}

function rejectWeakEstimate(password: string, personalTerms: string[]): string | null {
  return getStrengthEstimator().check(password, personalTerms).score < minimumStrengthScore ? reasons.weak : null;
}

/**
 * The lowercased strings a password must not contain: the whole e-mail and
 * its local part, each part of the name, and the company name (whole and
 * without spaces).
 */
function collectPersonalTerms({ email, name, companyName }: PasswordContext): string[] {
  const normalizedEmail = normalizeTerm(email);
  const normalizedCompany = normalizeTerm(companyName);
  const candidates = [
    normalizedEmail,
    normalizedEmail.split('@')[0] ?? '',
    ...normalizeTerm(name).split(/[^\p{L}\p{N}]+/u),
    normalizedCompany,
    normalizedCompany.replace(/\s+/gu, ''),
  ];
  const terms = candidates.filter((term) => codePointLength(term) >= minimumPersonalTermLength);
  return [...new Set(terms)];
}

function normalizeTerm(term: string | undefined): string {
  return normalizePassword(term ?? '')
    .trim()
    .toLowerCase();
}

// Both structures are built on first use: the dictionary holds ~49k entries
// and the estimator ranks them, which is wasted work for processes (CLI,
// migrations) that never check a password.
let commonPasswords: ReadonlySet<string> | undefined;

function getCommonPasswords(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return commonPasswords;
}

let strengthEstimator: ZxcvbnFactory | undefined;

function getStrengthEstimator(): ZxcvbnFactory {
  strengthEstimator ??= new ZxcvbnFactory({
    dictionary: { ...dictionary },
    graphs: adjacencyGraphs,
  });
  return strengthEstimator;
}
