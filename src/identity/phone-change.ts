import type { Selectable } from 'kysely';
import { recordAudit, type AuditContext } from '../audit/record.js';
import type { OtpChallengesTable, UsersTable } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { notFound, ProblemError } from '../http/problem.js';
import { phoneChangedMail } from './account-mail.js';
import { acceptablePhone, auditOf, invalidCredentials, languageForCountryCode, type Client } from './account-rules.js';
import { challengeExpired, channelsFor, issueChallenge, type PendingDelivery } from './challenges.js';
import type { Committed } from './committed.js';
import { verifyPassword } from './password-hashing.js';
import * as queries from './queries.js';
import type { Completion, IdentityDeps } from './service.js';
import type { Actor } from './actor.js';

/**
 * Changing the sign-in phone (ASVS 7.5.1 / 2.5.x): the current password and a code to the OLD number
 * prove it is the owner, then a code to the NEW number proves it can receive codes. Both challenges have
 * purpose `phone_change`, carry the new number in new_phone_e164 and belong to the session that started
 * the change; the first goes to the old number (phone_e164 ≠ new_phone_e164), the second to the new one
 * (phone_e164 = new_phone_e164). Verifying the first answers with the second, so a client simply
 * verifies the challenge it was given next.
 */
export async function startPhoneChange(
  tx: Tx,
  deps: IdentityDeps,
  actor: Actor,
  input: { currentPassword: string; newPhone: string },
  client: Client,
): Promise<Committed<PendingDelivery>> {
  const next = acceptablePhone(input.newPhone, deps.allowedCountries);
  const user = await queries.findUser(tx, actor.userId);
  if (!user?.password_hash || !user.phone_e164) throw notFound();
  const audit = auditOf(client, user.id);
  const target = { type: 'user', id: user.id };
  const check = await verifyPassword(user.password_hash, input.currentPassword);
  if (!check.valid) {
    await recordAudit(tx, audit, {
      action: 'user.phone_change_started',
      outcome: 'failure',
      target,
      details: { reason: 'wrong_password' },
    });
    return { ok: false, problem: invalidCredentials() };
  }
  if (next.e164 === user.phone_e164) {
    throw new ProblemError(400, 'validation_failed', 'This is your current number already.', {
      errors: [{ path: 'body:/newPhone', message: 'is your current number' }],
    });
  }
  await queries.expireOpenChallenges(tx, user.id, 'phone_change');
  await recordAudit(tx, audit, { action: 'user.phone_change_started', target, details: { newCountry: next.country } });
  const pending = await issueChallenge(
    tx,
    deps,
    {
      userId: user.id,
      purpose: 'phone_change',
      sessionId: actor.sessionId,
      phoneE164: user.phone_e164,
      newPhoneE164: next.e164,
      channel: channelsFor(user.phone_e164)[0] ?? 'sms',
      language: languageForCountryCode(user.phone_country),
    },
    audit,
  );
  return { ok: true, value: pending };
}

/** One verified phone-change code: the old number's leads to the new number's, the new number's to the change. */
export async function completePhoneChange(
  tx: Tx,
  deps: IdentityDeps,
  challenge: Selectable<OtpChallengesTable>,
  user: Selectable<UsersTable>,
  audit: AuditContext,
): Promise<Completion> {
  const newPhone = challenge.new_phone_e164;
  if (!newPhone || !challenge.session_id) throw challengeExpired();
  const target = { type: 'user', id: user.id };

  if (challenge.phone_e164 !== newPhone) {
    // The code went to the number on file; if that number has changed since, this proof is stale.
    if (user.phone_e164 !== challenge.phone_e164) throw challengeExpired();
    const classified = acceptablePhone(newPhone, deps.allowedCountries);
    await recordAudit(tx, audit, { action: 'user.phone_change_old_number_verified', target });
    const next = await issueChallenge(
      tx,
      deps,
      {
        userId: user.id,
        purpose: 'phone_change',
        sessionId: challenge.session_id,
        phoneE164: newPhone,
        newPhoneE164: newPhone,
        channel: classified.defaultChannel,
        language: classified.language,
      },
      audit,
    );
    return { user, next };
  }

  const classified = acceptablePhone(newPhone, '*');
  await queries.updatePhone(tx, user.id, { e164: classified.e164, country: classified.country });
  // Codes still on their way to the old number prove nothing any more.
  await queries.expireOpenChallenges(tx, user.id);
  await recordAudit(tx, audit, { action: 'user.phone_changed', target, details: { country: classified.country } });
  const updated = await queries.findUser(tx, user.id);
  if (!updated) throw challengeExpired();
  return { user: updated, notice: phoneChangedMail(updated, classified.e164) };
}
