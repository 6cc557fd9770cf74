import { createHmac, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { asAppWithoutTenant, enterTenant, inTenant, type Tx } from '../db/tenant-context.js';
import { notFound, ProblemError, rateLimited } from '../http/problem.js';
import { channelsFor, deliver, issueChallenge, reissueCode, type ChallengeDeps, type ChallengeView } from './challenges.js';
import { loginThrottle } from './login-throttle.js';
import { codeMatches, MAX_FAILED_ATTEMPTS, RESEND_COOLDOWN_SECONDS } from './one-time-codes.js';
import { hashPassword, verifyAgainstDummyHash, verifyPassword } from './password-hashing.js';
import type { PasswordPolicy } from './password-policy.js';
import { classifyPhone, languageForCountry, phoneHint, type AllowedCountries, type Channel } from './phone.js';
import * as queries from './queries.js';
import { hashToken, IDLE_TIMEOUT_SECONDS, startSession, type Actor } from './sessions.js';

export interface IdentityDeps extends ChallengeDeps {
  kysely: Kysely<Schema>;
  passwordPolicy: PasswordPolicy;
  allowedCountries: AllowedCountries;
  emailKey: Buffer;
  loginIpLimit: { windowSeconds: number; maxHits: number };
}

export interface Client {
  ip: string | null;
  userAgent: string | null;
}

type UserRow = NonNullable<Awaited<ReturnType<typeof queries.findUser>>>;

export function userView(user: UserRow) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    phoneHint: user.phone_e164 ? phoneHint(user.phone_e164) : null,
    role: user.role,
    status: user.status,
  };
}

export function tenantView(tenant: { id: string; name: string }) {
  return { id: tenant.id, name: tenant.name };
}

function acceptablePhone(input: string, allowedCountries: AllowedCountries) {
  const classified = classifyPhone(input, allowedCountries);
  if (!classified.ok) throw new ProblemError(400, classified.code, classified.reason);
  return classified.phone;
}

async function acceptablePassword(policy: PasswordPolicy, password: string, context: { email: string; name: string; companyName?: string }) {
  const verdict = await policy.check(password, context);
  if (!verdict.ok) throw new ProblemError(400, 'weak_password', verdict.reason);
}

/** Creates a pending tenant with its master user and sends the first code; nothing is usable before it is verified. */
export async function signup(
  deps: IdentityDeps,
  input: { companyName: string; name: string; email: string; phone: string; password: string },
): Promise<ChallengeView> {
  const email = input.email.toLowerCase();
  const phone = acceptablePhone(input.phone, deps.allowedCountries);
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
    if (!(await queries.claimEmail(tx, email, user.id))) {
      throw new ProblemError(409, 'email_taken', 'An account with this e-mail address already exists. Sign in instead.');
    }
    return issueChallenge(tx, deps, {
      userId: user.id,
      purpose: 'signup',
      phoneE164: phone.e164,
      channel: phone.defaultChannel,
      language: phone.language,
    });
  });
  return deliver(deps, pending);
}

export function emailKey(deps: Pick<IdentityDeps, 'emailKey'>, email: string): Buffer {
  return createHmac('sha256', deps.emailKey).update(email.toLowerCase()).digest();
}

/** Outcomes that must be committed (a counted failure) before they are reported as errors. */
type Committed<T> = { ok: true; value: T } | { ok: false; problem: ProblemError };

async function reportAfterCommit<T>(outcome: Promise<Committed<T>>): Promise<T> {
  const settled = await outcome;
  if (!settled.ok) throw settled.problem;
  return settled.value;
}

const invalidCredentials = () => new ProblemError(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');

/**
 * Password check, then a code to the phone. Unknown e-mails cost a dummy hash and count failures exactly
 * like known ones, so neither the answer, its timing nor the throttle tells which e-mails exist.
 */
export async function login(deps: IdentityDeps, input: { email: string; password: string }, client: Client): Promise<ChallengeView> {
  const key = emailKey(deps, input.email);
  const account = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const ipWait = await queries.rateLimitHit(tx, `login-ip:${client.ip ?? 'unknown'}`, deps.loginIpLimit.windowSeconds, deps.loginIpLimit.maxHits);
    if (ipWait > 0) throw rateLimited(ipWait, 'Too many sign-in attempts from your network; try again later.');
    const throttle = loginThrottle(await queries.loginFailures(tx, key), new Date());
    if (!throttle.allowed) {
      throw rateLimited(
        throttle.retryAfterSeconds,
        throttle.locked
          ? 'Sign-in is blocked after too many failed attempts. Reset your password to continue.'
          : 'Too many failed attempts; wait before trying again.',
      );
    }
    return queries.findLogin(tx, input.email.toLowerCase());
  });

  const usable = account && account.user_status === 'active' && account.tenant_status === 'active' && account.password_hash;
  const verification = usable ? await verifyPassword(account.password_hash!, input.password) : await dummyVerification(input.password);
  if (!usable || !verification.valid) {
    await asAppWithoutTenant(deps.kysely, (tx) => queries.recordLoginFailure(tx, key));
    throw invalidCredentials();
  }

  const upgradedHash = verification.needsRehash ? await hashPassword(input.password) : null;
  const pending = await inTenant(deps.kysely, { tenantId: account.tenant_id, userId: account.user_id }, async (tx) => {
    await queries.clearLoginFailures(tx, key);
    if (upgradedHash) await queries.updatePasswordHash(tx, account.user_id, upgradedHash);
    const user = await queries.findUser(tx, account.user_id);
    if (!user?.phone_e164) throw invalidCredentials();
    return issueChallenge(tx, deps, {
      userId: user.id,
      purpose: 'login',
      phoneE164: user.phone_e164,
      channel: channelsFor(user.phone_e164)[0] ?? 'sms',
      language: languageForCountryCode(user.phone_country),
    });
  });
  return deliver(deps, pending);
}

async function dummyVerification(password: string) {
  await verifyAgainstDummyHash(password);
  return { valid: false, needsRehash: false };
}

function languageForCountryCode(country: string | null) {
  return country ? languageForCountry(country) : 'en';
}

/** Finds the challenge's tenant (challenge ids are random) and enters it, or 404. */
async function enterChallengeTenant(tx: Tx, challengeId: string) {
  const tenantId = await queries.challengeTenant(tx, challengeId);
  if (!tenantId) throw notFound('No such challenge.');
  await enterTenant(tx, { tenantId, userId: null });
  const challenge = await queries.lockChallenge(tx, challengeId);
  if (!challenge) throw notFound('No such challenge.');
  return challenge;
}

const challengeExpired = () =>
  new ProblemError(410, 'challenge_expired', 'This code can no longer be used. Start again to get a new one.');

function isSpent(challenge: { consumed_at: Date | null; expires_at: Date | string; failed_attempts: number }) {
  return challenge.consumed_at !== null || new Date(challenge.expires_at) <= new Date() || challenge.failed_attempts >= MAX_FAILED_ATTEMPTS;
}

export interface VerifiedIdentity {
  user: ReturnType<typeof userView>;
  tenant: ReturnType<typeof tenantView>;
  /** A new session token for signup and login; absent for step-up, which refreshes the current session. */
  sessionToken?: string;
}

/**
 * Checks a code. A wrong code is counted and committed before the error is reported; the fifth wrong
 * code spends the challenge. The right code completes what the challenge was for.
 */
export function verifyChallenge(
  deps: IdentityDeps,
  challengeId: string,
  code: string,
  client: Client & { sessionId: string | null },
): Promise<VerifiedIdentity> {
  return reportAfterCommit(
    asAppWithoutTenant(deps.kysely, async (tx): Promise<Committed<VerifiedIdentity>> => {
      const challenge = await enterChallengeTenant(tx, challengeId);
      if (challenge.purpose === 'step_up' && challenge.session_id !== client.sessionId) throw notFound('No such challenge.');
      if (isSpent(challenge)) return { ok: false, problem: challengeExpired() };
      if (!codeMatches(deps.otpKey, challenge.id, code, challenge.code_hash)) {
        const { failed_attempts } = await queries.recordFailedAttempt(tx, challenge.id);
        if (failed_attempts >= MAX_FAILED_ATTEMPTS) return { ok: false, problem: challengeExpired() };
        return {
          ok: false,
          problem: new ProblemError(400, 'invalid_code', 'That code is not right.', {
            attemptsLeft: MAX_FAILED_ATTEMPTS - failed_attempts,
          }),
        };
      }
      await queries.consumeChallenge(tx, challenge.id);
      await enterTenant(tx, { tenantId: challenge.tenant_id, userId: challenge.user_id });
      return { ok: true, value: await completeChallenge(tx, challenge, client) };
    }),
  );
}

async function completeChallenge(
  tx: Tx,
  challenge: { id: string; purpose: string; user_id: string; session_id: string | null },
  client: Client,
): Promise<VerifiedIdentity> {
  if (challenge.purpose === 'signup') await queries.activateSignup(tx, challenge.user_id);
  const user = await queries.findUser(tx, challenge.user_id);
  if (!user || user.status !== 'active') throw challengeExpired();
  const tenant = await queries.findTenant(tx);
  if (challenge.purpose === 'step_up' && challenge.session_id) {
    await queries.refreshAuthenticationTime(tx, challenge.session_id);
    return { user: userView(user), tenant: tenantView(tenant) };
  }
  const sessionToken = await startSession(tx, user.id, client);
  return { user: userView(user), tenant: tenantView(tenant), sessionToken };
}

/** Sends a new code for a live challenge, by the same or the other channel the number can take. */
export async function resendChallenge(deps: IdentityDeps, challengeId: string, requested: Channel | undefined): Promise<ChallengeView> {
  const pending = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const challenge = await enterChallengeTenant(tx, challengeId);
    if (isSpent(challenge)) throw challengeExpired();
    const channel = requested ?? challenge.channel;
    if (!channelsFor(challenge.phone_e164).includes(channel)) {
      throw new ProblemError(400, 'channel_unavailable', `This number cannot receive codes by ${channel === 'sms' ? 'SMS' : 'voice call'}.`);
    }
    const sinceLastSend = (Date.now() - new Date(challenge.last_sent_at).getTime()) / 1000;
    if (sinceLastSend < RESEND_COOLDOWN_SECONDS) {
      throw rateLimited(Math.ceil(RESEND_COOLDOWN_SECONDS - sinceLastSend), 'Wait a moment before asking for another code.');
    }
    return reissueCode(tx, deps, challenge, channel);
  });
  return deliver(deps, pending);
}

export async function currentIdentity(tx: Tx, actor: Actor) {
  const user = await queries.findUser(tx, actor.userId);
  if (!user) throw notFound();
  const tenant = await queries.findTenant(tx);
  return { user: userView(user), tenant: tenantView(tenant), groups: [] as Array<{ id: string; name: string }> };
}

export async function startStepUp(tx: Tx, deps: IdentityDeps, actor: Actor) {
  const user = await queries.findUser(tx, actor.userId);
  if (!user?.phone_e164) throw notFound();
  return issueChallenge(tx, deps, {
    userId: user.id,
    purpose: 'step_up',
    sessionId: actor.sessionId,
    phoneE164: user.phone_e164,
    channel: channelsFor(user.phone_e164)[0] ?? 'sms',
    language: languageForCountryCode(user.phone_country),
  });
}

/** Verifies the current password, applies the policy to the new one, and ends every other session. */
export async function changePassword(tx: Tx, deps: IdentityDeps, actor: Actor, input: { currentPassword: string; newPassword: string }) {
  const user = await queries.findUser(tx, actor.userId);
  if (!user?.password_hash) throw notFound();
  const tenant = await queries.findTenant(tx);
  const current = await verifyPassword(user.password_hash, input.currentPassword);
  if (!current.valid) throw invalidCredentials();
  await acceptablePassword(deps.passwordPolicy, input.newPassword, { email: user.email, name: user.name, companyName: tenant.name });
  await queries.updatePasswordHash(tx, user.id, await hashPassword(input.newPassword));
  await queries.endUserSessions(tx, user.id, 'password_changed', actor.sessionId);
  await queries.expireOpenChallenges(tx, user.id);
}


/** The live session behind a cookie, if any: a step-up code only completes for the session that asked. */
export function liveSessionId(deps: Pick<IdentityDeps, 'kysely'>, token: string): Promise<string | null> {
  return asAppWithoutTenant(deps.kysely, async (tx) => (await queries.enterSession(tx, hashToken(token), IDLE_TIMEOUT_SECONDS))?.session_id ?? null);
}

export async function logout(deps: Pick<IdentityDeps, 'kysely'>, token: string): Promise<void> {
  await asAppWithoutTenant(deps.kysely, async (tx) => {
    const live = await queries.enterSession(tx, hashToken(token), IDLE_TIMEOUT_SECONDS);
    if (live) await queries.endSession(tx, live.session_id, 'logout');
  });
}

export async function logoutEverywhere(tx: Tx, actor: Actor): Promise<void> {
  await queries.endUserSessions(tx, actor.userId, 'logout_all');
}
