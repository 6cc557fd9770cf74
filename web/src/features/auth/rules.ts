import type { TFunction } from 'i18next';

/** The server's e-mail rule (src/identity/schemas.ts: format email, 3–254 characters), checked before sending. */
export function emailError(value: string, t: TFunction<'auth'>): string | null {
  const email = value.trim();
  if (email.length === 0) return t('fields.emailRequired');
  if (email.length < 3 || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return t('fields.emailInvalid');
  return null;
}
