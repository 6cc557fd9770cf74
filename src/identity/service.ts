import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { recordAudit, type AuditContext } from '../audit/record.js';
import type { OtpChallengesTable, Schema, UsersTable } from '../db/schema.js';
import { asAppWithoutTenant, enterTenant, inTenant, type Tx } from '../db/tenant-context.js';
import { notFound, ProblemError, rateLimited } from '../http/problem.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { sendInBackground } from './account-mail.js';
import { acceptablePassword, acceptablePhone, auditOf, invalidCredentials, languageForCountryCode, type Client } from './account-rules.js';
import {
  challengeExpired,
  challengeRef,
  channelsFor,
  deliver,
  invalidCode,
  issueChallenge,
  reissueCode,
  resendChannel,
  type ChallengeDeps,
  type ChallengeView,
  type PendingDelivery,
} from './challenges.js';
import { clientNetwork } from './client-network.js';
import { reportAfterCommit, type Committed } from './committed.js';
import { emailKey } from './email-key.js';
import { loginThrottle } from './login-throttle.js';
import { codeMatches, MAX_FAILED_ATTEMPTS } from './one-time-codes.js';
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from './password-hashing.js';
import type { PasswordPolicy } from './password-policy.js';
import { completePasswordReset } from './password-reset.js';
import { completePhoneChange } from './phone-change.js';
import type { AllowedCountries, Channel } from './phone.js';
import * as queries from './queries.js';
import { answerSignupForRegisteredEmail, resendDecoy, verifyDecoy } from './signup-decoys.js';
import { hashToken, IDLE_TIMEOUT_SECONDS, startSession } from './sessions.js';
import type { Actor } from './actor.js';
import { tenantView, userView } from './views.js';

export { emailKey } from './email-key.js';
export type { Client } from './account-rules.js';
export { tenantView, userView } from './views.js';

export interface IdentityDeps extends ChallengeDeps {
  kysely: Kysely<Schema>;
  passwordPolicy: PasswordPolicy;
  allowedCountries: AllowedCountries;
  emailKey: Buffer;
  loginIpLimit: { windowSeconds: number; maxHits: number };
  signupIpLimit: { windowSeconds: number; maxHits: number };
  passwordResetLimit: { windowSeconds: number; perIp: number; perEmail: number };
  /** Invitations, reset links and account notices; sent after commit. */
  mailer: Mailer;
  /** Links in e-mails point here (the web pages that accept them). */
  publicUrl: URL;
  logger: FastifyBaseLogger;
}

type UserRow = Selectable<UsersTable>;
type ChallengeRow = Selectable<OtpChallengesTable>;

const userTarget = (userId: string) => ({ type: 'user', id: userId });

/**
 * Creates a pending tenant with its master user and sends the first code; nothing is usable before it is
 * verified. For an address that already has an account the answer is the same (see signup-decoys.ts).
 */
export async function signup(
  deps: IdentityDeps,
  input: { companyName: string; name: string; email: string; phone: string; password: string },
  client: Client,
): Promise<ChallengeView> {
  const email = input.email.toLowerCase();
  const phone = acceptablePhone(input.phone, deps.allowedCountries);
  await refuseSignupFlood(deps, client);
  await acceptablePassword(deps.passwordPolicy, input.password, { email, name: input.name, companyName: input.companyName });
  const passwordHash = await hashPassword(input.password);
  const tenantId = randomUUID();
  const pending = await inTenant(deps.kysely, { tenantId, userId: null }, async (tx) => {
    await queries.insertTenant(tx, { id: tenantId, name: input.companyName });
    const user = await queries.insertUser(tx, {
      name: input.name,
      email,
      phoneE164: phone.e164,
      phoneCountry: phone.country,
      passwordHash,
      role: 'master',
      status: 'pending',
    });
    // Rolls the new tenant back: nothing of this signup is kept, and the answer is a decoy.
    if (!(await queries.claimEmail(tx, email, user.id))) throw new EmailAlreadyRegistered();
    const audit = auditOf(client, user.id);
    await recordAudit(tx, audit, { action: 'auth.signup', target: userTarget(user.id) });
    return issueChallenge(
      tx,
      deps,
      { userId: user.id, purpose: 'signup', phoneE164: phone.e164, channel: phone.defaultChannel, language: phone.language },
      audit,
    );
  }).catch((error: unknown) => {
    if (error instanceof EmailAlreadyRegistered) return null;
    throw error;
  });
  if (!pending) return answerSignupForRegisteredEmail(deps, { email, phone }, client);
  return deliver(deps, pending);
}

class EmailAlreadyRegistered extends Error {}

/** Signups per client network and hour, counted in the database for every node, before any hashing. */
async function refuseSignupFlood(deps: IdentityDeps, client: Client): Promise<void> {
  const limit = deps.signupIpLimit;
  const wait = await asAppWithoutTenant(deps.kysely, (tx) =>
    queries.rateLimitHit(tx, `signup-ip:${clientNetwork(client.ip)}`, limit.windowSeconds, limit.maxHits),
  );
  if (wait > 0) throw rateLimited(wait, 'Too many signups from your network; try again later.');
}

/**
 * Password check, then a code to the phone. Unknown e-mails cost a dummy hash and count failures exactly
 * like known ones, so neither the answer, its timing nor the throttle tells which e-mails exist. A failure
 * against a known account is also written to that account's tenant audit trail (never the password).
 *
 * The attempt is reserved before the password is checked: under a lock on the e-mail key it is counted as
 * a failure, and only a right password clears the count. However many requests arrive at once, from
 * however many addresses, each sees the attempts before it, so the throttle's numbers hold exactly.
 */
export async function login(deps: IdentityDeps, input: { email: string; password: string }, client: Client): Promise<ChallengeView> {
  const key = emailKey(deps, input.email);
  const account = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const ipWait = await queries.rateLimitHit(
      tx,
      `login-ip:${clientNetwork(client.ip)}`,
      deps.loginIpLimit.windowSeconds,
      deps.loginIpLimit.maxHits,
    );
    if (ipWait > 0) throw rateLimited(ipWait, 'Too many sign-in attempts from your network; try again later.');
    const { failures, checkedAt } = await queries.lockLoginFailures(tx, key);
    const throttle = loginThrottle(failures, checkedAt);
    if (!throttle.allowed) {
      throw rateLimited(
        throttle.retryAfterSeconds,
        throttle.locked
          ? 'Sign-in is blocked after too many failed attempts. Reset your password to continue.'
          : 'Too many failed attempts; wait before trying again.',
      );
    }
    await queries.recordLoginFailure(tx, key);
    return queries.findLogin(tx, input.email.toLowerCase());
  });

  const usable = account && account.user_status === 'active' && account.tenant_status === 'active' && account.password_hash;
  const verification = usable ? await verifyPassword(account.password_hash!, input.password) : await dummyVerification(input.password);
  if (!usable || !verification.valid) {
    // The failure was counted when the attempt was reserved.
    if (account) {
      await inTenant(deps.kysely, { tenantId: account.tenant_id, userId: null }, (tx) =>
        recordAudit(tx, auditOf(client, null), {
          action: 'auth.login',
          outcome: 'failure',
          target: userTarget(account.user_id),
          details: { reason: usable ? 'wrong_password' : 'account_not_active' },
        }),
      );
    }
    throw invalidCredentials();
  }

  const upgradedHash = verification.needsRehash ? await hashPassword(input.password) : null;
  const pending = await inTenant(deps.kysely, { tenantId: account.tenant_id, userId: account.user_id }, async (tx) => {
    await queries.clearLoginFailures(tx, key);
    if (upgradedHash) await queries.updatePasswordHash(tx, account.user_id, upgradedHash);
    const user = await queries.findUser(tx, account.user_id);
    if (!user?.phone_e164) throw invalidCredentials();
    return issueChallenge(
      tx,
      deps,
      {
        userId: user.id,
        purpose: 'login',
        phoneE164: user.phone_e164,
        channel: channelsFor(user.phone_e164)[0] ?? 'sms',
        language: languageForCountryCode(user.phone_country),
      },
      auditOf(client, null),
    );
  });
  return deliver(deps, pending);
}

async function dummyVerification(password: string) {
  await verifyAgainstDummyHash(password);
  return { valid: false, needsRehash: false };
}

/** Codes that only the session which asked for them may complete. */
const SESSION_BOUND_PURPOSES = new Set<string>(['step_up', 'phone_change']);

/**
 * Finds the challenge's tenant (challenge ids are random) and enters it, or 404. A step-up or phone-change
 * challenge exists only for the session that asked for it: verify and resend alike answer as for an
 * unknown challenge to anyone else, so its id alone neither spends attempts nor places calls.
 */
async function enterChallengeTenant(tx: Tx, challengeId: string, sessionId: string | null) {
  const tenantId = await queries.challengeTenant(tx, challengeId);
  if (!tenantId) throw notFound('No such challenge.');
  await enterTenant(tx, { tenantId, userId: null });
  const challenge = await queries.lockChallenge(tx, challengeId);
  if (!challenge) throw notFound('No such challenge.');
  if (SESSION_BOUND_PURPOSES.has(challenge.purpose) && challenge.session_id !== sessionId) throw notFound('No such challenge.');
  return challenge;
}

function isSpent(challenge: { consumed_at: Date | null; expires_at: Date | string; failed_attempts: number }) {
  return challenge.consumed_at !== null || new Date(challenge.expires_at) <= new Date() || challenge.failed_attempts >= MAX_FAILED_ATTEMPTS;
}

export interface VerifiedIdentity {
  user: ReturnType<typeof userView>;
  tenant: ReturnType<typeof tenantView>;
  /** A new session token for signup, login, invitation and reset; absent for step-up and phone change. */
  sessionToken?: string;
  /** Phone change: the code just sent to the new number, which is verified next. */
  challenge?: ChallengeView;
}

/** What a verified code led to, before anything leaves the process. */
export interface Completion {
  user: UserRow;
  sessionToken?: string;
  /** A further code to send once committed (phone change: the new number). */
  next?: PendingDelivery;
  /** A mail to the user once committed. */
  notice?: MailMessage;
}

/**
 * Checks a code. A wrong code is counted, audited and committed before the error is reported; the fifth
 * wrong code spends the challenge. The right code completes what the challenge was for.
 */
export async function verifyChallenge(
  deps: IdentityDeps,
  challengeId: string,
  code: string,
  client: Client & { sessionId: string | null },
): Promise<VerifiedIdentity> {
  const { completion, tenant } = await reportAfterCommit(
    asAppWithoutTenant(deps.kysely, async (tx): Promise<Committed<{ completion: Completion; tenant: ReturnType<typeof tenantView> }>> => {
      const decoy = await verifyDecoy(tx, challengeId);
      if (decoy) return { ok: false, problem: decoy };
      const challenge = await enterChallengeTenant(tx, challengeId, client.sessionId);
      const sessionBound = SESSION_BOUND_PURPOSES.has(challenge.purpose);
      if (isSpent(challenge)) return { ok: false, problem: challengeExpired() };
      if (!codeMatches(deps.otpKey, challenge.id, code, challenge.code_hash)) {
        const { failed_attempts } = await queries.recordFailedAttempt(tx, challenge.id);
        const exhausted = failed_attempts >= MAX_FAILED_ATTEMPTS;
        const attemptsLeft = MAX_FAILED_ATTEMPTS - failed_attempts;
        await recordAudit(tx, auditOf(client, sessionBound ? challenge.user_id : null), {
          action: exhausted ? 'auth.challenge_exhausted' : 'auth.code_failed',
          outcome: 'failure',
          target: userTarget(challenge.user_id),
          details: { challengeRef: challengeRef(challenge.id), purpose: challenge.purpose, ...(exhausted ? {} : { attemptsLeft }) },
        });
        if (exhausted) return { ok: false, problem: challengeExpired() };
        return { ok: false, problem: invalidCode(attemptsLeft) };
      }
      await queries.consumeChallenge(tx, challenge.id);
      await enterTenant(tx, { tenantId: challenge.tenant_id, userId: challenge.user_id });
      const completion = await completeChallenge(tx, deps, challenge, client);
      return { ok: true, value: { completion, tenant: tenantView(await queries.findTenant(tx)) } };
    }),
  );
  if (completion.notice) sendInBackground(deps, completion.notice, 'account_notice');
  const next = completion.next ? await deliver(deps, completion.next) : undefined;
  return {
    user: userView(completion.user),
    tenant,
    ...(completion.sessionToken ? { sessionToken: completion.sessionToken } : {}),
    ...(next ? { challenge: next } : {}),
  };
}

/** Codes whose success makes a pending account active: only while the account still holds its e-mail. */
const ACTIVATING_PURPOSES = new Set<string>(['signup', 'invitation']);

/** What each purpose means once its code is right; runs in the verifying transaction, as the user. */
async function completeChallenge(tx: Tx, deps: IdentityDeps, challenge: ChallengeRow, client: Client): Promise<Completion> {
  const audit = auditOf(client, challenge.user_id);
  if (ACTIVATING_PURPOSES.has(challenge.purpose) && !(await queries.holdEmailClaim(tx, challenge.user_id))) {
    // The claim lapsed and another account took the address: activating this one would leave two active
    // users behind one e-mail. Nothing commits; the code can never complete.
    throw challengeExpired();
  }
  if (challenge.purpose === 'signup') await queries.activateSignup(tx, challenge.user_id);
  if (challenge.purpose === 'invitation') await activateInvitation(tx, challenge.user_id, audit);
  const user = await queries.findUser(tx, challenge.user_id);
  if (!user || user.status !== 'active') throw challengeExpired();

  switch (challenge.purpose) {
    case 'step_up':
      if (!challenge.session_id) throw challengeExpired();
      await queries.refreshAuthenticationTime(tx, challenge.session_id);
      await recordAudit(tx, audit, { action: 'auth.step_up', target: { type: 'session', id: challenge.session_id } });
      return { user };
    case 'phone_change':
      return completePhoneChange(tx, deps, challenge, user, audit);
    case 'password_reset':
      await completePasswordReset(tx, deps, user, challenge.new_password_hash, audit);
      break;
    case 'signup':
    case 'login':
    case 'invitation':
      break;
  }
  const session = await startSession(tx, user.id, client);
  await recordAudit(tx, audit, {
    action: 'auth.login',
    target: { type: 'session', id: session.sessionId },
    details: { purpose: challenge.purpose },
  });
  return { user, sessionToken: session.token };
}

async function activateInvitation(tx: Tx, userId: string, audit: AuditContext) {
  const invitationId = await queries.activateInvitedUser(tx, userId);
  if (!invitationId) throw new ProblemError(410, 'invitation_expired', 'This invitation has expired or was withdrawn. Ask for a new one.');
  await recordAudit(tx, audit, { action: 'invitation.accepted', target: { type: 'invitation', id: invitationId } });
}

/** Sends a new code for a live challenge, by the same or the other channel the number can take. */
export async function resendChallenge(
  deps: IdentityDeps,
  challengeId: string,
  requested: Channel | undefined,
  client: Client & { sessionId: string | null },
): Promise<ChallengeView> {
  const pending = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const decoy = await resendDecoy(tx, deps, challengeId, requested);
    if (decoy) return { decoy };
    const challenge = await enterChallengeTenant(tx, challengeId, client.sessionId);
    if (isSpent(challenge)) throw challengeExpired();
    const channel = resendChannel(challenge.phone_e164, challenge.channel, requested, challenge.last_sent_at);
    return { delivery: await reissueCode(tx, deps, challenge, channel, auditOf(client, null)) };
  });
  return pending.decoy ?? deliver(deps, pending.delivery);
}

export async function currentIdentity(tx: Tx, actor: Actor) {
  const user = await queries.findUser(tx, actor.userId);
  if (!user) throw notFound();
  const tenant = await queries.findTenant(tx);
  return { user: userView(user), tenant: tenantView(tenant), groups: await queries.groupsOfUser(tx, actor.userId) };
}

export async function startStepUp(tx: Tx, deps: IdentityDeps, actor: Actor, client: Client) {
  const user = await queries.findUser(tx, actor.userId);
  if (!user?.phone_e164) throw notFound();
  return issueChallenge(
    tx,
    deps,
    {
      userId: user.id,
      purpose: 'step_up',
      sessionId: actor.sessionId,
      phoneE164: user.phone_e164,
      channel: channelsFor(user.phone_e164)[0] ?? 'sms',
      language: languageForCountryCode(user.phone_country),
    },
    auditOf(client, actor.userId),
  );
}

/**
 * Verifies the current password, applies the policy to the new one, and ends every other session. A wrong
 * current password is audited and committed before the 401 goes out.
 */
export async function changePassword(
  tx: Tx,
  deps: IdentityDeps,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
  client: Client,
): Promise<Committed<void>> {
  const user = await queries.findUser(tx, actor.userId);
  if (!user?.password_hash) throw notFound();
  const audit = auditOf(client, actor.userId);
  const tenant = await queries.findTenant(tx);
  const current = await verifyPassword(user.password_hash, input.currentPassword);
  if (!current.valid) {
    await recordAudit(tx, audit, {
      action: 'auth.password_changed',
      outcome: 'failure',
      target: userTarget(user.id),
      details: { reason: 'wrong_password' },
    });
    return { ok: false, problem: invalidCredentials() };
  }
  await acceptablePassword(deps.passwordPolicy, input.newPassword, { email: user.email, name: user.name, companyName: tenant.name });
  await queries.updatePasswordHash(tx, user.id, await hashPassword(input.newPassword));
  const sessionsEnded = await queries.endUserSessions(tx, user.id, 'password_changed', actor.sessionId);
  await queries.expireOpenChallenges(tx, user.id);
  await recordAudit(tx, audit, { action: 'auth.password_changed', target: userTarget(user.id), details: { sessionsEnded } });
  return { ok: true, value: undefined };
}

/** The live session behind a cookie, if any: a step-up code only completes for the session that asked. */
export function liveSessionId(deps: Pick<IdentityDeps, 'kysely'>, token: string): Promise<string | null> {
  return asAppWithoutTenant(
    deps.kysely,
    async (tx) => (await queries.enterSession(tx, hashToken(token), IDLE_TIMEOUT_SECONDS))?.session_id ?? null,
  );
}

export async function logout(deps: Pick<IdentityDeps, 'kysely'>, token: string, client: Client): Promise<void> {
  await asAppWithoutTenant(deps.kysely, async (tx) => {
    const live = await queries.enterSession(tx, hashToken(token), IDLE_TIMEOUT_SECONDS);
    if (!live) return;
    await queries.endSession(tx, live.session_id, 'logout');
    await recordAudit(tx, auditOf(client, live.user_id), {
      action: 'session.ended',
      target: { type: 'session', id: live.session_id },
      details: { reason: 'logout' },
    });
  });
}

export async function logoutEverywhere(tx: Tx, actor: Actor, client: Client): Promise<void> {
  const count = await queries.endUserSessions(tx, actor.userId, 'logout_all');
  await recordAudit(tx, auditOf(client, actor.userId), {
    action: 'session.ended',
    target: userTarget(actor.userId),
    details: { reason: 'logout_all', count },
  });
}
