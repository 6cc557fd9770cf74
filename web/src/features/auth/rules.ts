import type { TFunction } from 'i18next';

/** The server's e-mail rule (src/identity/schemas.ts: format email, 3–254 characters), checked before sending. */
export function emailError(value: string, t: TFunction<'auth'>): string | null {
  const email = value.trim();
  if (email.length === 0) return t('fields.emailRequired');
  if (email.length < 3 || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return t('fields.emailInvalid');
  return null;
}

/** The server's name rule (src/identity/schemas.ts: one line, 1–200 characters, not blank). */
export function requiredNameError(value: string, requiredMessage: string, t: TFunction<'auth'>): string | null {
  if (value.trim().length === 0) return requiredMessage;
  if (value.length > 200) return t('fields.tooLong', { count: 200 });
  // eslint-disable-next-line no-control-regex -- control characters are exactly what the server refuses
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return t('fields.oneLine');
  return null;
}
