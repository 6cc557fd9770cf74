import type { Selectable } from 'kysely';
import { recordAudit, type AuditContext } from '../audit/record.js';
import type { UsersTable } from '../db/schema.js';
import { asAppWithoutTenant, enterTenant, inTenant, type Tx } from '../db/tenant-context.js';
import { ProblemError, rateLimited } from '../http/problem.js';
import { passwordResetMail, sendInBackground } from './account-mail.js';
import { acceptablePassword, auditOf, languageForCountryCode, type Client } from './account-rules.js';
import { channelsFor, deliver, issueChallenge, type ChallengeView } from './challenges.js';
import { clientNetwork } from './client-network.js';
import { emailKey } from './email-key.js';
import { hashPassword } from './password-hashing.js';
import * as queries from './queries.js';
import { hashSecretToken, newSecretToken } from './secret-tokens.js';
import type { IdentityDeps } from './service.js';

/**
 * Password reset (ASVS 2.5): a single-use link by e-mail, valid 30 minutes, and then the phone code as at
 * every login — a reset proves the mailbox, never replaces the second factor.
 */
export const PASSWORD_RESET_TTL_SECONDS = 30 * 60;

const tokenExpired = () => new ProblemError(410, 'token_expired', 'This link has expired or was used already. Ask for a new one.');

/** The web page that takes the new password: PACTUM_PUBLIC_URL + /password-reset/{token}, like invitations. */
export function passwordResetUrl(publicUrl: URL, token: string): string {
  return `${publicUrl.href.replace(/\/+$/, '')}/password-reset/${token}`;
}

/**
 * Always the same answer: whether the address belongs to an account shows neither in the response nor
 * in its timing (the mail is sent after the answer). Throttled per client IP and per e-mail key, counted
 * in the database for every node, also for unknown addresses.
 */
export async function requestPasswordReset(deps: IdentityDeps, email: string, client: Client): Promise<void> {
  const address = email.toLowerCase();
  const limit = deps.passwordResetLimit;
  const mail = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const ipWait = await queries.rateLimitHit(tx, `password-reset-ip:${clientNetwork(client.ip)}`, limit.windowSeconds, limit.perIp);
    if (ipWait > 0) throw rateLimited(ipWait, 'Too many password resets were asked for from your network; try again later.');
    const emailWait = await resetMailWait(tx, deps, address);
    if (emailWait > 0) throw rateLimited(emailWait, 'Too many password resets were asked for this address; try again later.');

    const account = await queries.findLogin(tx, address);
    if (!account || account.user_status !== 'active' || account.tenant_status !== 'active') return null;
    await enterTenant(tx, { tenantId: account.tenant_id, userId: null });
    const user = await queries.findUser(tx, account.user_id);
    if (!user) return null;
    const url = await issuePasswordResetLink(tx, deps, user.id, client, 'request');
    return passwordResetMail(user, url, PASSWORD_RESET_TTL_SECONDS / 60);
  });
  if (mail) sendInBackground(deps, mail, 'password_reset');
}

/** One throttle for every mail that carries a reset link, whatever asked for it: a mailbox cannot be flooded. */
export async function resetMailWait(tx: Tx, deps: Pick<IdentityDeps, 'emailKey' | 'passwordResetLimit'>, address: string): Promise<number> {
  const limit = deps.passwordResetLimit;
  return queries.rateLimitHit(tx, `password-reset-email:${emailKey(deps, address).toString('hex')}`, limit.windowSeconds, limit.perEmail);
}

/**
 * A new single-use reset link for a user of the current tenant (older links end), audited; returns its URL.
 * `via` says what asked for it: the reset form, or a signup attempt with the user's address.
 */
export async function issuePasswordResetLink(
  tx: Tx,
  deps: Pick<IdentityDeps, 'publicUrl'>,
  userId: string,
  client: Client,
  via: 'request' | 'signup_attempt',
): Promise<string> {
  await queries.usePasswordResets(tx, userId);
  const { token, tokenHash } = newSecretToken();
  const reset = await queries.insertPasswordReset(tx, { userId, tokenHash, ttlSeconds: PASSWORD_RESET_TTL_SECONDS });
  await recordAudit(tx, auditOf(client, null), {
    action: 'auth.password_reset_requested',
    target: { type: 'user', id: userId },
    details: via === 'request' ? { resetId: reset.id } : { resetId: reset.id, via },
  });
  return passwordResetUrl(deps.publicUrl, token);
}

async function liveReset(tx: Tx, tokenHash: Buffer) {
  const reset = await queries.lockPasswordReset(tx, tokenHash);
  if (!reset || reset.used_at !== null || !reset.unexpired) return null;
  const user = await queries.findUser(tx, reset.user_id);
  if (!user || user.status !== 'active' || !user.phone_e164) return null;
  return { reset, user: user as Selectable<UsersTable> & { phone_e164: string } };
}

/**
 * Uses the link and sends the phone code. The new password's hash waits on the challenge and replaces
 * the old one only when the code is verified: the mailbox alone changes nothing, and no session starts
 * before the code.
 */
export async function confirmPasswordReset(
  deps: IdentityDeps,
  input: { token: string; newPassword: string },
  client: Client,
): Promise<ChallengeView> {
  const tokenHash = hashSecretToken(input.token);
  const found = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const tenantId = await queries.passwordResetTenant(tx, tokenHash);
    if (!tenantId) return null;
    await enterTenant(tx, { tenantId, userId: null });
    const live = await liveReset(tx, tokenHash);
    return live ? { tenantId, user: live.user, companyName: (await queries.findTenant(tx)).name } : null;
  });
  if (!found) throw tokenExpired();
  // Policy (possibly a breached-password lookup) and hashing run outside any transaction.
  await acceptablePassword(deps.passwordPolicy, input.newPassword, {
    email: found.user.email,
    name: found.user.name,
    companyName: found.companyName,
  });
  const passwordHash = await hashPassword(input.newPassword);

  const pending = await inTenant(deps.kysely, { tenantId: found.tenantId, userId: null }, async (tx) => {
    const live = await liveReset(tx, tokenHash);
    if (!live || live.user.id !== found.user.id) throw tokenExpired();
    const { user } = live;
    const audit = auditOf(client, null);
    await queries.usePasswordResets(tx, user.id);
    await queries.expireOpenChallenges(tx, user.id, 'password_reset');
    await recordAudit(tx, audit, {
      action: 'auth.password_reset_confirmed',
      target: { type: 'user', id: user.id },
      details: { resetId: live.reset.id },
    });
    return issueChallenge(
      tx,
      deps,
      {
        userId: user.id,
        purpose: 'password_reset',
        newPasswordHash: passwordHash,
        phoneE164: user.phone_e164,
        channel: channelsFor(user.phone_e164)[0] ?? 'sms',
        language: languageForCountryCode(user.phone_country),
      },
      audit,
    );
  });
  return deliver(deps, pending);
}

/**
 * The phone confirmed the reset: every other way in ends (sessions, pending codes, links), and the login
 * lock on the address is lifted — the hard stop after 100 failures is meant to be lifted exactly so.
 */
export async function completePasswordReset(
  tx: Tx,
  deps: Pick<IdentityDeps, 'emailKey'>,
  user: Selectable<UsersTable>,
  newPasswordHash: string | null,
  audit: AuditContext,
): Promise<void> {
  if (!newPasswordHash) throw new Error('password_reset challenge without a new password');
  await queries.updatePasswordHash(tx, user.id, newPasswordHash);
  const sessionsEnded = await queries.endUserSessions(tx, user.id, 'password_changed');
  await queries.expireOpenChallenges(tx, user.id);
  await queries.usePasswordResets(tx, user.id);
  await queries.clearLoginFailures(tx, emailKey(deps, user.email));
  await recordAudit(tx, audit, { action: 'auth.password_reset', target: { type: 'user', id: user.id }, details: { sessionsEnded } });
}
