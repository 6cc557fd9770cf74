import { sql } from 'kysely';
import type { ChallengePurpose, SessionEndReason } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';

export interface LoginRecord {
  tenant_id: string;
  user_id: string;
  password_hash: string | null;
  user_status: string;
  tenant_status: string;
}

export async function findLogin(tx: Tx, email: string): Promise<LoginRecord | undefined> {
  const { rows } = await sql<LoginRecord>`SELECT * FROM pactum_find_login(${email})`.execute(tx);
  return rows[0];
}

export async function claimEmail(tx: Tx, email: string, userId: string): Promise<boolean> {
  const { rows } = await sql<{ claimed: boolean }>`SELECT pactum_claim_email(${email}, ${userId}) AS claimed`.execute(tx);
  return rows[0]?.claimed === true;
}

export async function challengeTenant(tx: Tx, challengeId: string): Promise<string | null> {
  const { rows } = await sql<{ tenant_id: string | null }>`SELECT pactum_challenge_tenant(${challengeId}) AS tenant_id`.execute(tx);
  return rows[0]?.tenant_id ?? null;
}

export interface LiveSession {
  session_id: string;
  tenant_id: string;
  user_id: string;
  authenticated_at: Date;
  role: 'master' | 'member';
}

/**
 * Resolves a cookie and, when live, sets the transaction's tenant and user (see the SQL function). As a
 * transaction's first statement it travels with the BEGIN, in one round trip.
 */
export async function enterSession(tx: Tx, tokenHash: Buffer, idleSeconds: number): Promise<LiveSession | undefined> {
  const { rows } = await sql<LiveSession>`SELECT * FROM pactum_enter_session(${tokenHash}, ${idleSeconds})`.execute(tx);
  return rows[0];
}

/**
 * True while the session is live, or if this very transaction ended it (logout-all ends the caller's own
 * session too: ended_at = now() is this transaction's start time, which no other transaction shares).
 * Holds a share lock on the session until the transaction ends.
 */
export async function holdLiveSession(tx: Tx, sessionId: string): Promise<boolean> {
  const row = await tx
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '=', sql<Date>`now()`)]))
    .forShare()
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Caps on codes sent per hour. Codes for active accounts (login, reset, step-up, the old number of a phone
 * change) and codes for purposes nobody has verified yet (signups, invitation acceptances, new numbers)
 * are counted apart, so that anonymous signups can never use up what a user needs to sign in.
 */
export interface DeliveryCaps {
  numberHourly: number;
  resendsHourly: number;
  tenantHourly: number;
  globalHourly: number;
  unverifiedNumberHourly: number;
  unverifiedGlobalHourly: number;
  /** Signup codes a number that belongs to an active account receives per day. */
  signupsPerActiveNumberDaily: number;
}

export interface DeliveryClaim {
  /** 0 when the delivery was recorded, otherwise the seconds to wait. */
  wait: number;
  /** A budget that just reached 80 % (reported once per hour for all nodes), with its use and cap. */
  warning: { budget: string; used: number; cap: number } | null;
}

export async function claimCodeDelivery(
  tx: Tx,
  delivery: { phone: string; purpose: ChallengePurpose; isResend: boolean; unverified: boolean },
  caps: DeliveryCaps,
): Promise<DeliveryClaim> {
  const numberHourly = delivery.unverified ? caps.unverifiedNumberHourly : caps.numberHourly;
  const globalHourly = delivery.unverified ? caps.unverifiedGlobalHourly : caps.globalHourly;
  const { rows } = await sql<{ wait: number; warning: string | null; used: number | null; cap: number | null }>`
    SELECT * FROM pactum_claim_code_delivery(${delivery.phone}, ${delivery.purpose}, ${delivery.isResend}, ${delivery.unverified},
                                             ${numberHourly}, ${caps.resendsHourly}, ${caps.tenantHourly}, ${globalHourly},
                                             ${caps.signupsPerActiveNumberDaily})`.execute(tx);
  const row = rows[0];
  return {
    wait: row?.wait ?? 0,
    warning: row?.warning ? { budget: row.warning, used: Number(row.used), cap: Number(row.cap) } : null,
  };
}

export async function rateLimitHit(tx: Tx, bucket: string, windowSeconds: number, maxHits: number): Promise<number> {
  const { rows } = await sql<{ wait: number }>`SELECT pactum_rate_limit_hit(${bucket}, ${windowSeconds}, ${maxHits}) AS wait`.execute(tx);
  return rows[0]?.wait ?? 0;
}

/**
 * Locks the e-mail key until the transaction ends and reads its failure count, with the server's clock
 * after the wait: concurrent logins for one address see each other's reserved attempts.
 */
export async function lockLoginFailures(
  tx: Tx,
  emailKey: Buffer,
): Promise<{ failures: { consecutive: number; last_failed_at: Date } | undefined; checkedAt: Date }> {
  const { rows } = await sql<{ consecutive: number | null; last_failed_at: Date | null; checked_at: Date }>`
    SELECT * FROM pactum_lock_login_failures(${emailKey})`.execute(tx);
  const row = rows[0]!;
  const failures =
    row.consecutive !== null && row.last_failed_at !== null
      ? { consecutive: row.consecutive, last_failed_at: row.last_failed_at }
      : undefined;
  return { failures, checkedAt: new Date(row.checked_at) };
}

/** Counts an attempt as failed; a login reserves its attempt this way before checking the password. */
export async function recordLoginFailure(tx: Tx, emailKey: Buffer): Promise<void> {
  await sql`SELECT pactum_record_login_failure(${emailKey})`.execute(tx);
}

export async function clearLoginFailures(tx: Tx, emailKey: Buffer): Promise<void> {
  await sql`SELECT pactum_clear_login_failures(${emailKey})`.execute(tx);
}

export function insertTenant(tx: Tx, tenant: { id: string; name: string }) {
  return tx.insertInto('tenants').values(tenant).execute();
}

export function insertUser(
  tx: Tx,
  user: {
    name: string;
    email: string;
    phoneE164: string | null;
    phoneCountry: string | null;
    passwordHash: string | null;
    role: 'master' | 'member';
    status: 'pending' | 'active';
  },
) {
  return tx
    .insertInto('users')
    .values({
      name: user.name,
      email: user.email,
      phone_e164: user.phoneE164,
      phone_country: user.phoneCountry,
      password_hash: user.passwordHash,
      role: user.role,
      status: user.status,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findUser(tx: Tx, userId: string) {
  return tx.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
}

export function findTenant(tx: Tx) {
  return tx.selectFrom('tenants').selectAll().executeTakeFirstOrThrow();
}

/** True, and the claim held until commit, while the user's e-mail claim is still theirs (see the SQL function). */
export async function holdEmailClaim(tx: Tx, userId: string): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`SELECT pactum_hold_email_claim(${userId}) AS held`.execute(tx);
  return rows[0]?.held === true;
}

export async function activateSignup(tx: Tx, userId: string): Promise<void> {
  await tx.updateTable('tenants').set({ status: 'active' }).where('status', '=', 'pending').execute();
  await tx
    .updateTable('users')
    .set({ status: 'active', activated_at: sql`now()` })
    .where('id', '=', userId)
    .execute();
}

export async function updatePasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export function insertChallenge(
  tx: Tx,
  challenge: {
    id: string;
    userId: string;
    purpose: ChallengePurpose;
    sessionId: string | null;
    phoneE164: string;
    channel: 'sms' | 'voice';
    language: 'en' | 'de' | 'fr' | 'it';
    codeHash: Buffer;
    ttlSeconds: number;
    newPhoneE164?: string | null;
    newPasswordHash?: string | null;
  },
) {
  return tx
    .insertInto('otp_challenges')
    .values({
      id: challenge.id,
      user_id: challenge.userId,
      purpose: challenge.purpose,
      session_id: challenge.sessionId,
      phone_e164: challenge.phoneE164,
      new_phone_e164: challenge.newPhoneE164 ?? null,
      new_password_hash: challenge.newPasswordHash ?? null,
      channel: challenge.channel,
      language: challenge.language,
      code_hash: challenge.codeHash,
      expires_at: sql`now() + make_interval(secs => ${challenge.ttlSeconds})`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Locks the challenge row so two verifications cannot both spend the same attempt. */
export function lockChallenge(tx: Tx, challengeId: string) {
  return tx.selectFrom('otp_challenges').selectAll().where('id', '=', challengeId).forUpdate().executeTakeFirst();
}

export function recordFailedAttempt(tx: Tx, challengeId: string) {
  return tx
    .updateTable('otp_challenges')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('id', '=', challengeId)
    .returning('failed_attempts')
    .executeTakeFirstOrThrow();
}

export async function consumeChallenge(tx: Tx, challengeId: string): Promise<void> {
  await tx
    .updateTable('otp_challenges')
    .set({ consumed_at: sql`now()` })
    .where('id', '=', challengeId)
    .execute();
}

export function replaceChallengeCode(
  tx: Tx,
  challengeId: string,
  update: { codeHash: Buffer; channel: 'sms' | 'voice'; ttlSeconds: number },
) {
  return tx
    .updateTable('otp_challenges')
    .set((eb) => ({
      code_hash: update.codeHash,
      channel: update.channel,
      last_sent_at: sql`now()`,
      expires_at: sql`now() + make_interval(secs => ${update.ttlSeconds})`,
      send_count: eb('send_count', '+', 1),
    }))
    .where('id', '=', challengeId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Ends the user's pending challenges (of one purpose, or all), e.g. when a new password makes them moot. */
export async function expireOpenChallenges(tx: Tx, userId: string, purpose?: ChallengePurpose): Promise<number> {
  let query = tx
    .updateTable('otp_challenges')
    .set({ consumed_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('consumed_at', 'is', null);
  if (purpose) query = query.where('purpose', '=', purpose);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function insertSession(
  tx: Tx,
  session: { userId: string; tokenHash: Buffer; absoluteSeconds: number; clientIp: string | null; userAgent: string | null },
) {
  return tx
    .insertInto('sessions')
    .values({
      user_id: session.userId,
      token_hash: session.tokenHash,
      expires_at: sql`now() + make_interval(secs => ${session.absoluteSeconds})`,
      client_ip: session.clientIp,
      user_agent: session.userAgent,
    })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
}

export async function refreshAuthenticationTime(tx: Tx, sessionId: string): Promise<void> {
  await tx
    .updateTable('sessions')
    .set({ authenticated_at: sql`now()` })
    .where('id', '=', sessionId)
    .execute();
}

export async function endSession(tx: Tx, sessionId: string, reason: SessionEndReason): Promise<void> {
  await tx
    .updateTable('sessions')
    .set({ ended_at: sql`now()`, ended_reason: reason })
    .where('id', '=', sessionId)
    .where('ended_at', 'is', null)
    .execute();
}

export async function endUserSessions(tx: Tx, userId: string, reason: SessionEndReason, exceptSessionId?: string): Promise<number> {
  let query = tx
    .updateTable('sessions')
    .set({ ended_at: sql`now()`, ended_reason: reason })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null);
  if (exceptSessionId) query = query.where('id', '<>', exceptSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The access groups a user belongs to, for /me. */
export function groupsOfUser(tx: Tx, userId: string) {
  return tx
    .selectFrom('access_group_members as m')
    .innerJoin('access_groups as g', (join) => join.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'))
    .select(['g.id', 'g.name'])
    .where('m.user_id', '=', userId)
    .orderBy(sql`lower(g.name)`)
    .orderBy('g.id')
    .execute();
}

/**
 * The invitee proved their phone: the invitation is used up and the user becomes active. Only a live
 * invitation counts, so one ended by revocation or expiry in the meantime activates nobody.
 */
export async function activateInvitedUser(tx: Tx, userId: string): Promise<string | null> {
  const invitation = await tx
    .updateTable('invitations')
    .set({ accepted_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('accepted_at', 'is', null)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('id')
    .executeTakeFirst();
  if (!invitation) return null;
  const activated = await tx
    .updateTable('users')
    .set({ status: 'active', activated_at: sql`now()` })
    .where('id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return activated.numUpdatedRows > 0n ? invitation.id : null;
}

export async function updatePhone(tx: Tx, userId: string, phone: { e164: string; country: string }): Promise<void> {
  await tx.updateTable('users').set({ phone_e164: phone.e164, phone_country: phone.country }).where('id', '=', userId).execute();
}

export async function passwordResetTenant(tx: Tx, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await sql<{ tenant_id: string | null }>`SELECT pactum_password_reset_tenant(${tokenHash}) AS tenant_id`.execute(tx);
  return rows[0]?.tenant_id ?? null;
}

export function insertPasswordReset(tx: Tx, reset: { userId: string; tokenHash: Buffer; ttlSeconds: number }) {
  return tx
    .insertInto('password_resets')
    .values({ user_id: reset.userId, token_hash: reset.tokenHash, expires_at: sql`now() + make_interval(secs => ${reset.ttlSeconds})` })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
}

/** The reset behind a link, locked so that two confirmations cannot both use it; live or not. */
export function lockPasswordReset(tx: Tx, tokenHash: Buffer) {
  return tx
    .selectFrom('password_resets')
    .select(['id', 'user_id', 'used_at', sql<boolean>`expires_at > now()`.as('unexpired')])
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

/** Uses up the user's open reset links: a link works once, a newer one replaces older ones, revocation ends them. */
export async function usePasswordResets(tx: Tx, userId: string): Promise<number> {
  const result = await tx
    .updateTable('password_resets')
    .set({ used_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function recordSignupDecoy(
  tx: Tx,
  decoy: { id: string; phoneE164: string; channel: 'sms' | 'voice'; ttlSeconds: number },
): Promise<Date> {
  const { rows } = await sql<{ expires_at: Date }>`
    SELECT pactum_record_signup_decoy(${decoy.id}, ${decoy.phoneE164}, ${decoy.channel}, ${decoy.ttlSeconds}) AS expires_at`.execute(tx);
  return new Date(rows[0]!.expires_at);
}

export interface SignupDecoy {
  tenant_id: string;
  phone_e164: string;
  channel: 'sms' | 'voice';
  expires_at: Date;
  last_sent_at: Date;
  failed_attempts: number;
}

export async function lockSignupDecoy(tx: Tx, id: string): Promise<SignupDecoy | undefined> {
  const { rows } = await sql<SignupDecoy>`SELECT * FROM pactum_lock_signup_decoy(${id})`.execute(tx);
  return rows[0];
}

export async function recordSignupDecoyFailure(tx: Tx, id: string): Promise<number> {
  const { rows } = await sql<{ failed_attempts: number }>`SELECT pactum_signup_decoy_failed_attempt(${id}) AS failed_attempts`.execute(tx);
  return rows[0]!.failed_attempts;
}

export async function renewSignupDecoy(tx: Tx, id: string, channel: 'sms' | 'voice', ttlSeconds: number): Promise<Date> {
  const { rows } = await sql<{
    expires_at: Date;
  }>`SELECT pactum_signup_decoy_resent(${id}, ${channel}, ${ttlSeconds}) AS expires_at`.execute(tx);
  return new Date(rows[0]!.expires_at);
}
