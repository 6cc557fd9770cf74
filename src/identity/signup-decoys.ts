import { randomUUID } from 'node:crypto';
import { asAppWithoutTenant, enterTenant, type Tx } from '../db/tenant-context.js';
import type { ProblemError } from '../http/problem.js';
import { sendInBackground, signupAttemptMail } from './account-mail.js';
import type { Client } from './account-rules.js';
import { challengeExpired, challengeView, claimDelivery, invalidCode, resendChannel, type ChallengeView } from './challenges.js';
import { CODE_TTL_SECONDS, MAX_FAILED_ATTEMPTS } from './one-time-codes.js';
import { issuePasswordResetLink, PASSWORD_RESET_TTL_SECONDS, resetMailWait } from './password-reset.js';
import type { Channel, ClassifiedPhone } from './phone.js';
import * as queries from './queries.js';
import type { IdentityDeps } from './service.js';

/**
 * Signup for an address that already has an account (issue 9, finding 6). The caller sees exactly what a
 * new signup shows: 201 with a challenge of the same shape, after the same password check and hash, and
 * counted against the same signup budgets. No code is sent; the challenge is a decoy that no code
 * matches, and verifying or resending it behaves like a real challenge with a wrong code. The address's
 * owner is told by mail, with a password-reset link in case they had forgotten they have an account.
 */
export async function answerSignupForRegisteredEmail(
  deps: IdentityDeps,
  request: { email: string; phone: ClassifiedPhone },
  client: Client,
): Promise<ChallengeView> {
  const id = randomUUID();
  const { phone } = request;
  const answered = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const account = await queries.findLogin(tx, request.email);
    // The claim was released in between (an abandoned signup): there is nobody to tell and nothing to record.
    if (!account) return { expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000), mail: null };
    await enterTenant(tx, { tenantId: account.tenant_id, userId: null });
    await claimDelivery(tx, deps, { phone: phone.e164, purpose: 'signup', isResend: false, unverified: true });
    const expiresAt = await queries.recordSignupDecoy(tx, {
      id,
      phoneE164: phone.e164,
      channel: phone.defaultChannel,
      ttlSeconds: CODE_TTL_SECONDS,
    });
    const active = account.user_status === 'active' && account.tenant_status === 'active';
    if (!active || (await resetMailWait(tx, deps, request.email)) > 0) return { expiresAt, mail: null };
    const user = await queries.findUser(tx, account.user_id);
    if (!user) return { expiresAt, mail: null };
    const url = await issuePasswordResetLink(tx, deps, user.id, client, 'signup_attempt');
    return { expiresAt, mail: signupAttemptMail(user, url, PASSWORD_RESET_TTL_SECONDS / 60) };
  });
  if (answered.mail) sendInBackground(deps, answered.mail, 'signup_attempt');
  return challengeView({ id, channel: phone.defaultChannel, phone_e164: phone.e164, expires_at: answered.expiresAt });
}

const isSpent = (decoy: queries.SignupDecoy) => new Date(decoy.expires_at) <= new Date() || decoy.failed_attempts >= MAX_FAILED_ATTEMPTS;

/** A verification of a decoy, as for a real challenge whose code is wrong; undefined when the id is no decoy. */
export async function verifyDecoy(tx: Tx, challengeId: string): Promise<ProblemError | undefined> {
  const decoy = await queries.lockSignupDecoy(tx, challengeId);
  if (!decoy) return undefined;
  if (isSpent(decoy)) return challengeExpired();
  const failedAttempts = await queries.recordSignupDecoyFailure(tx, challengeId);
  return failedAttempts >= MAX_FAILED_ATTEMPTS ? challengeExpired() : invalidCode(MAX_FAILED_ATTEMPTS - failedAttempts);
}

/** A resend of a decoy: the same checks and budgets as a real resend, and still no code. Undefined when the id is no decoy. */
export async function resendDecoy(
  tx: Tx,
  deps: IdentityDeps,
  challengeId: string,
  requested: Channel | undefined,
): Promise<ChallengeView | undefined> {
  const decoy = await queries.lockSignupDecoy(tx, challengeId);
  if (!decoy) return undefined;
  if (isSpent(decoy)) throw challengeExpired();
  const channel = resendChannel(decoy.phone_e164, decoy.channel, requested, decoy.last_sent_at);
  await enterTenant(tx, { tenantId: decoy.tenant_id, userId: null });
  await claimDelivery(tx, deps, { phone: decoy.phone_e164, purpose: 'signup', isResend: true, unverified: true });
  const expiresAt = await queries.renewSignupDecoy(tx, challengeId, channel, CODE_TTL_SECONDS);
  return challengeView({ id: challengeId, channel, phone_e164: decoy.phone_e164, expires_at: expiresAt });
}
