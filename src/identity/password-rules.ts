import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * The local password rules, shared by the server (password-policy.ts) and the web app's live strength
 * feedback, so a password the form calls good is one the server accepts. No Node-only imports: the web app
 * loads this module (and zxcvbn's ~1 MB dictionary) only on the screens that choose a password.
 *
 * NIST 800-63B 5.1.1.2 and ASVS 6.2: a length floor, a generous ceiling, a blocklist and a strength
 * estimate; deliberately no composition rules ("must contain a digit"), which push users to predictable
 * patterns. Answers are reason keys; each side words them (the server in English, the web per language).
 */
export type PasswordRejection = 'too_short' | 'too_long' | 'common' | 'personal' | 'weak';

export type PasswordContext = { email?: string; name?: string; companyName?: string };

export const passwordLengthLimits = { minimum: 12, maximum: 256 } as const;

// Below 4 characters a name part ("Li", "Bo") occurs by chance in too many
// good passphrases to be worth rejecting.
const minimumPersonalTermLength = 4;

// zxcvbn score 3 = "safely unguessable: moderate protection from offline
// slow-hash scenario" (~10^10 guesses).
export const minimumStrengthScore = 3;

/**
 * NFKC makes a password typed on one keyboard (e.g. the "ﬁ" ligature or
 * full-width digits from an IME) match the same password typed on another
 * (NIST 800-63B 5.1.1.2). Never truncates.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

type LocalRule = (password: string, personalTerms: string[]) => PasswordRejection | null;

const localRules: LocalRule[] = [rejectTooShort, rejectTooLong, rejectCommonPassword, rejectPersonalTerms, rejectWeakEstimate];

/** The first local rule the password breaks, or null when it passes them all. */
export function localPasswordRejection(password: string, context: PasswordContext): PasswordRejection | null {
  const normalized = normalizePassword(password);
  const personalTerms = collectPersonalTerms(context);
  for (const rule of localRules) {
    const rejection = rule(normalized, personalTerms);
    if (rejection !== null) return rejection;
  }
  return null;
}

/**
 * For a strength meter: zxcvbn's score (0–4, with the personal terms as user inputs) next to the verdict.
 * The score alone never decides: a password that breaks a rule is rejected whatever its score.
 */
export function passwordStrength(password: string, context: PasswordContext): { score: number; rejection: PasswordRejection | null } {
  const normalized = normalizePassword(password);
  const score = normalized.length === 0 ? 0 : getStrengthEstimator().check(normalized, collectPersonalTerms(context)).score;
  return { score, rejection: localPasswordRejection(password, context) };
}

function codePointLength(text: string): number {
  return [...text].length;
}

function rejectTooShort(password: string): PasswordRejection | null {
  return codePointLength(password) < passwordLengthLimits.minimum ? 'too_short' : null;
}

// Rejected rather than truncated: silently hashing only a prefix would make
// every password sharing that prefix valid.
function rejectTooLong(password: string): PasswordRejection | null {
  return codePointLength(password) > passwordLengthLimits.maximum ? 'too_long' : null;
}

function rejectCommonPassword(password: string): PasswordRejection | null {
  return getCommonPasswords().has(password.toLowerCase()) ? 'common' : null;
}

function rejectPersonalTerms(password: string, personalTerms: string[]): PasswordRejection | null {
  const lowercased = password.toLowerCase();
  return personalTerms.some((term) => lowercased.includes(term)) ? 'personal' : null;
}

function rejectWeakEstimate(password: string, personalTerms: string[]): PasswordRejection | null {
  return getStrengthEstimator().check(password, personalTerms).score < minimumStrengthScore ? 'weak' : null;
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
