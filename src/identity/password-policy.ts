import type { BreachedPasswordChecker } from './breached-passwords.js';
import { localPasswordRejection, normalizePassword, passwordLengthLimits, type PasswordContext } from './password-rules.js';

export { passwordLengthLimits, type PasswordContext } from './password-rules.js';

/** Why a password is refused: a stable key (the web app words it per language) and the server's English. */
export type PasswordReasonKey = 'too_short' | 'too_long' | 'common' | 'personal' | 'weak' | 'breached';

export type PasswordVerdict = { ok: true } | { ok: false; reasonKey: PasswordReasonKey; reason: string };

export type PasswordPolicy = {
  check(password: string, context: PasswordContext): Promise<PasswordVerdict>;
};

const reasons: Record<PasswordReasonKey, string> = {
  too_short: `Use at least ${passwordLengthLimits.minimum} characters.`,
  too_long: `Use at most ${passwordLengthLimits.maximum} characters.`,
  common: 'This password is in a list of commonly used passwords.',
  personal: "Don't use your name, e-mail address or company name in your password.",
  weak: 'This password is too easy to guess; add more unrelated words.',
  breached: 'This password has appeared in a data breach; choose another.',
};

function refused(reasonKey: PasswordReasonKey): PasswordVerdict {
  return { ok: false, reasonKey, reason: reasons[reasonKey] };
}

/** The local rules (password-rules.ts, the same the web app checks as the user types), then the breach list. */
export function createPasswordPolicy({ breachedPasswords }: { breachedPasswords: BreachedPasswordChecker | null }): PasswordPolicy {
  return {
    async check(password, context) {
      const rejection = localPasswordRejection(password, context);
      if (rejection !== null) return refused(rejection);
      if (breachedPasswords !== null && (await breachedPasswords.isBreached(normalizePassword(password))) === 'breached') {
        return refused('breached');
      }
      // 'unavailable' is accepted on purpose (fail open): an outage of a
      // third-party service must not block signups, and the local dictionary
      // and strength estimate above still apply.
      return { ok: true };
    },
  };
}
