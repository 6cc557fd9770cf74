import type { AuditContext } from '../audit/record.js';
import { ProblemError } from '../http/problem.js';
import type { PasswordPolicy } from './password-policy.js';
import { classifyPhone, languageForCountry, type AllowedCountries } from './phone.js';

/** Where a request came from, as Fastify resolved it (request.ip honours only the trusted proxy). */
export interface Client {
  ip: string | null;
  userAgent: string | null;
}

export function auditOf(client: Client, actorId: string | null): AuditContext {
  return { actorId, ip: client.ip, userAgent: client.userAgent };
}

/** The same phone rules everywhere a number is registered: signup, invitation, phone change. */
export function acceptablePhone(input: string, allowedCountries: AllowedCountries) {
  const classified = classifyPhone(input, allowedCountries);
  if (!classified.ok) throw new ProblemError(400, classified.code, classified.reason);
  return classified.phone;
}

/** The same password policy everywhere a password is chosen: signup, invitation, change, reset. */
export async function acceptablePassword(
  policy: PasswordPolicy,
  password: string,
  context: { email: string; name: string; companyName?: string },
) {
  const verdict = await policy.check(password, context);
  // `reason` carries the rule's key, so a client can word the refusal in its user's language.
  if (!verdict.ok) throw new ProblemError(400, 'weak_password', verdict.reason, { reason: verdict.reasonKey });
}

export const invalidCredentials = () => new ProblemError(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');

export function languageForCountryCode(country: string | null) {
  return country ? languageForCountry(country) : 'en';
}
