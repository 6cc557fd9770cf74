import { createHash, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit, type AuditContext } from '../audit/record.js';
import type { ChallengePurpose, OtpChallengesTable } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { ProblemError, rateLimited } from '../http/problem.js';
import { CodeDeliveryError, type CodeSender } from './messaging/code-sender.js';
import { CODE_TTL_SECONDS, generateCode, hashCode, RESEND_COOLDOWN_SECONDS } from './one-time-codes.js';
import { classifyPhone, phoneHint, type Channel, type Language } from './phone.js';
import * as queries from './queries.js';
import type { DeliveryCaps } from './queries.js';

export interface ChallengeView {
  id: string;
  channel: Channel;
  phoneHint: string;
  expiresAt: string;
  availableChannels: Channel[];
}

/** A code that has been recorded in the database and must be sent once the transaction commits. */
export interface PendingDelivery {
  challenge: ChallengeView;
  message: { to: string; channel: Channel; code: string; language: Language };
}

type ChallengeRow = { [K in keyof OtpChallengesTable]: OtpChallengesTable[K] extends { __select__: infer S } ? S : OtpChallengesTable[K] };

export interface ChallengeDeps {
  otpKey: Buffer;
  caps: DeliveryCaps;
  codeSender: CodeSender;
  logger: FastifyBaseLogger;
}

/** Channels the stored number can take; the number was classified when it was registered. */
export function channelsFor(phoneE164: string): Channel[] {
  const classified = classifyPhone(phoneE164, '*');
  return classified.ok ? classified.phone.channels : ['sms'];
}

export function challengeView(row: Pick<ChallengeRow, 'id' | 'channel' | 'phone_e164' | 'expires_at'>): ChallengeView {
  return {
    id: row.id,
    channel: row.channel,
    phoneHint: phoneHint(row.phone_e164),
    expiresAt: new Date(row.expires_at).toISOString(),
    availableChannels: channelsFor(row.phone_e164),
  };
}

export interface ChallengeRequest {
  userId: string;
  purpose: ChallengePurpose;
  sessionId?: string | null;
  phoneE164: string;
  /** phone_change only: the number the user wants next. */
  newPhoneE164?: string;
  /** password_reset only: the new password's hash, applied when the code is verified. */
  newPasswordHash?: string;
  channel: Channel;
  language: Language;
}

/**
 * Codes to a number nobody has proved yet: a signup, an invitation's acceptance, the new number of a phone
 * change. They spend their own budget, never the one that codes for active accounts rely on.
 */
export function isUnverifiedPurpose(purpose: ChallengePurpose, phoneE164: string, newPhoneE164: string | null): boolean {
  return purpose === 'signup' || purpose === 'invitation' || (purpose === 'phone_change' && newPhoneE164 === phoneE164);
}

/**
 * Claims the delivery against its budget, or 429. The first claim that takes an unverified budget to 80 %
 * within an hour logs one warning line (counted in the database, so once for all nodes), which operators
 * can alert on before signups start being refused.
 */
export async function claimDelivery(
  tx: Tx,
  deps: ChallengeDeps,
  delivery: { phone: string; purpose: ChallengePurpose; isResend: boolean; unverified: boolean },
): Promise<void> {
  const claim = await queries.claimCodeDelivery(tx, delivery, deps.caps);
  if (claim.warning) {
    const { budget, used, cap } = claim.warning;
    deps.logger.warn(
      { otpBudget: budget, used, cap, ...(budget === 'unverified_number' ? { phoneHint: phoneHint(delivery.phone) } : {}) },
      OTP_BUDGET_WARNING,
    );
  }
  if (claim.wait > 0) throw rateLimited(claim.wait, 'Too many codes were sent to this number recently; try again later.');
}

/** The fixed text of the warning line, for log alerts. */
export const OTP_BUDGET_WARNING = 'one-time code budget for unverified purposes at 80 %';

/**
 * Records a new challenge for a user inside the caller's tenant transaction. The caps against SMS
 * pumping are claimed in the same transaction, so a refused delivery leaves no challenge behind; the
 * audit trail notes the code (never the code itself) in the same transaction too.
 */
export async function issueChallenge(
  tx: Tx,
  deps: ChallengeDeps,
  request: ChallengeRequest,
  audit: AuditContext,
): Promise<PendingDelivery> {
  const unverified = isUnverifiedPurpose(request.purpose, request.phoneE164, request.newPhoneE164 ?? null);
  await claimDelivery(tx, deps, { phone: request.phoneE164, purpose: request.purpose, isResend: false, unverified });
  const id = randomUUID();
  const code = generateCode();
  const row = await queries.insertChallenge(tx, {
    id,
    userId: request.userId,
    purpose: request.purpose,
    sessionId: request.sessionId ?? null,
    phoneE164: request.phoneE164,
    channel: request.channel,
    language: request.language,
    codeHash: hashCode(deps.otpKey, id, code),
    ttlSeconds: CODE_TTL_SECONDS,
    newPhoneE164: request.newPhoneE164 ?? null,
    newPasswordHash: request.newPasswordHash ?? null,
  });
  await recordCodeSent(tx, audit, row, false);
  return { challenge: challengeView(row), message: { to: row.phone_e164, channel: row.channel, code, language: row.language } };
}

/**
 * What the audit trail says about a challenge: a challenge id is a bearer handle (with it anyone may ask
 * for a resend or spend attempts), so audit readers get a truncated SHA-256 of it, enough to tell the
 * events of one challenge apart from another's, never the id itself.
 */
export function challengeRef(challengeId: string): string {
  return createHash('sha256').update(challengeId).digest('hex').slice(0, 16);
}

function recordCodeSent(tx: Tx, audit: AuditContext, row: Pick<ChallengeRow, 'id' | 'user_id' | 'purpose' | 'channel'>, resend: boolean) {
  return recordAudit(tx, audit, {
    action: 'auth.code_sent',
    target: { type: 'user', id: row.user_id },
    details: { challengeRef: challengeRef(row.id), purpose: row.purpose, channel: row.channel, resend },
  });
}

/** Replaces the code of a live challenge; its failed-attempt count is kept, so resending buys no tries. */
export async function reissueCode(
  tx: Tx,
  deps: ChallengeDeps,
  row: ChallengeRow,
  channel: Channel,
  audit: AuditContext,
): Promise<PendingDelivery> {
  const unverified = isUnverifiedPurpose(row.purpose, row.phone_e164, row.new_phone_e164);
  await claimDelivery(tx, deps, { phone: row.phone_e164, purpose: row.purpose, isResend: true, unverified });
  const code = generateCode();
  const updated = await queries.replaceChallengeCode(tx, row.id, {
    codeHash: hashCode(deps.otpKey, row.id, code),
    channel,
    ttlSeconds: CODE_TTL_SECONDS,
  });
  await recordCodeSent(tx, audit, updated, true);
  return { challenge: challengeView(updated), message: { to: updated.phone_e164, channel, code, language: updated.language } };
}

export const challengeExpired = () =>
  new ProblemError(410, 'challenge_expired', 'This code can no longer be used. Start again to get a new one.');

export const invalidCode = (attemptsLeft: number) => new ProblemError(400, 'invalid_code', 'That code is not right.', { attemptsLeft });

/** The channel a resend goes by, once the number can take it and the cooldown since the last send is over. */
export function resendChannel(phoneE164: string, current: Channel, requested: Channel | undefined, lastSentAt: Date | string): Channel {
  const channel = requested ?? current;
  if (!channelsFor(phoneE164).includes(channel)) {
    throw new ProblemError(400, 'channel_unavailable', `This number cannot receive codes by ${channel === 'sms' ? 'SMS' : 'voice call'}.`);
  }
  const sinceLastSend = (Date.now() - new Date(lastSentAt).getTime()) / 1000;
  if (sinceLastSend < RESEND_COOLDOWN_SECONDS) {
    throw rateLimited(Math.ceil(RESEND_COOLDOWN_SECONDS - sinceLastSend), 'Wait a moment before asking for another code.');
  }
  return channel;
}

/**
 * Sends a recorded code. Called after commit: no network call ever runs inside a transaction. A failed
 * delivery keeps the challenge, so the client can ask for a resend (perhaps by the other channel).
 */
export async function deliver(deps: ChallengeDeps, pending: PendingDelivery): Promise<ChallengeView> {
  try {
    await deps.codeSender.send(pending.message);
    return pending.challenge;
  } catch (error) {
    if (!(error instanceof CodeDeliveryError)) throw error;
    deps.logger.warn({ err: error, challengeRef: challengeRef(pending.challenge.id) }, 'one-time code delivery failed');
    throw new ProblemError(502, 'delivery_failed', 'The code could not be sent. Ask for a new one in a moment.', {
      challenge: pending.challenge,
    });
  }
}
