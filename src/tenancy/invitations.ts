import { recordAudit, type AuditContext } from '../audit/record.js';
import { isUniqueViolation } from '../db/errors.js';
import { asAppWithoutTenant, enterTenant, inTenant, type Tx } from '../db/tenant-context.js';
import { notFound, ProblemError, rateLimited } from '../http/problem.js';
import { quoted, type MailMessage } from '../mail/mailer.js';
import { sendInBackground } from '../identity/account-mail.js';
import { acceptablePassword, acceptablePhone, auditOf, type Client } from '../identity/account-rules.js';
import { deliver, issueChallenge, type ChallengeView } from '../identity/challenges.js';
import { emailKey } from '../identity/email-key.js';
import { hashPassword } from '../identity/password-hashing.js';
import * as identityQueries from '../identity/queries.js';
import { type Actor, requireMaster, requireRecentAuthentication } from '../identity/actor.js';
import { hashSecretToken, newSecretToken } from '../identity/secret-tokens.js';
import type { IdentityDeps } from '../identity/service.js';
import { userView } from '../identity/views.js';
import * as queries from './queries.js';

/** Invitations expire after 7 days and work once (issue 4). */
export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60;

const emailTaken = () => new ProblemError(409, 'email_taken', 'Someone with this e-mail address has an account already.');
const invitationExpired = () =>
  new ProblemError(410, 'invitation_expired', 'This invitation has expired, was used already or was withdrawn. Ask for a new one.');

export function invitationUrl(publicUrl: URL, token: string): string {
  return `${publicUrl.href.replace(/\/+$/, '')}/invitations/${token}`;
}

/**
 * Everything here but the link and our own words was written by the inviting company, so it comes last,
 * quoted and on one line each: a company name cannot add a link of its own above ours.
 */
export function invitationMail(invitee: { name: string; email: string }, inviter: string, company: string, url: string): MailMessage {
  return {
    to: invitee.email,
    subject: 'You are invited to Pactum',
    text: [
      'Hello,',
      '',
      'A company invites you to its software contracts on Pactum. To join, open',
      '',
      url,
      '',
      'and choose a password; a code sent to your phone confirms your account. The link works once, for 7 days.',
      'If you do not know the company or the person below, ignore this e-mail.',
      '',
      'The invitation, as they wrote it:',
      `  company: ${quoted(company)}`,
      `  invited by: ${quoted(inviter)}`,
      `  for: ${quoted(invitee.name)}`,
    ].join('\n'),
  };
}

export interface InvitationLimits {
  perRecipient: number;
  recipientWindowSeconds: number;
  perTenantHourly: number;
}

/**
 * Spends one invitation of the company's hourly budget and of the recipient's, in a transaction of its
 * own before the invitation's: an attempt that then fails (409 email_taken) has still been counted, so
 * the 409 cannot be used to probe many addresses, and no address can be flooded with invitation mail
 * (issue 13, point 4). The role checks come first, so a refused master invitation spends nothing.
 */
export async function reserveInvitation(
  tx: Tx,
  deps: Pick<IdentityDeps, 'emailKey'>,
  actor: Actor,
  input: { email: string; role?: 'master' | 'member' },
  limits: InvitationLimits,
) {
  requireMaster(actor);
  if (input.role === 'master') requireRecentAuthentication(actor);
  await spendInvitationBudgets(tx, deps, actor, input.email, limits);
}

async function spendInvitationBudgets(tx: Tx, deps: Pick<IdentityDeps, 'emailKey'>, actor: Actor, email: string, limits: InvitationLimits) {
  const recipient = emailKey(deps, email).toString('hex');
  const recipientWait = await identityQueries.rateLimitHit(
    tx,
    `invitation-recipient:${actor.tenantId}:${recipient}`,
    limits.recipientWindowSeconds,
    limits.perRecipient,
  );
  if (recipientWait > 0) throw rateLimited(recipientWait, 'This address was invited a moment ago; wait before inviting it again.');
  const tenantWait = await identityQueries.rateLimitHit(tx, `invitation-tenant:${actor.tenantId}`, 60 * 60, limits.perTenantHourly);
  if (tenantWait > 0) throw rateLimited(tenantWait, 'Your company has sent many invitations in the last hour; try again later.');
}

/**
 * The invitee is a pending user holding the e-mail claim, with no password or phone yet. Inviting an
 * address again whose invitation was never accepted replaces that invitation (the old link stops working).
 * Inviting someone as master grants a role, so it needs a recent authentication like a role change.
 */
export async function inviteUser(
  tx: Tx,
  deps: Pick<IdentityDeps, 'publicUrl'>,
  actor: Actor,
  input: { name: string; email: string; role?: 'master' | 'member' },
  audit: AuditContext,
) {
  requireMaster(actor);
  const role = input.role ?? 'member';
  if (role === 'master') requireRecentAuthentication(actor);
  const email = input.email.toLowerCase();
  const name = input.name.trim();

  const existing = await queries.findUserByEmail(tx, email);
  if (existing && existing.status !== 'pending') throw emailTaken();
  let invitee;
  if (existing) {
    await queries.endOpenInvitations(tx, existing.id);
    await identityQueries.expireOpenChallenges(tx, existing.id);
    // The old invitation may have lapsed and released the address to someone else meanwhile.
    if (!(await identityQueries.claimEmail(tx, email, existing.id))) throw emailTaken();
    invitee = await queries.updateUser(tx, existing.id, { name, role });
  } else {
    invitee = await insertInvitee(tx, { name, email, role });
  }

  const issued = await issueInvitation(tx, deps, actor, invitee, { renewed: existing !== undefined }, audit);
  return { user: userView(invitee), invitation: issued.invitation, mail: issued.mail };
}

/** A new link for a pending user (the caller ended any earlier one), audited, with the mail that carries it. */
async function issueInvitation(
  tx: Tx,
  deps: Pick<IdentityDeps, 'publicUrl'>,
  actor: Actor,
  invitee: { id: string; name: string; email: string; role: 'master' | 'member' },
  how: { renewed: boolean },
  audit: AuditContext,
) {
  const { token, tokenHash } = newSecretToken();
  const invitation = await queries.insertInvitation(tx, {
    userId: invitee.id,
    invitedBy: actor.userId,
    tokenHash,
    ttlSeconds: INVITATION_TTL_SECONDS,
  });
  await recordAudit(tx, audit, {
    action: 'invitation.created',
    target: { type: 'user', id: invitee.id },
    details: { invitationId: invitation.id, role: invitee.role, renewed: how.renewed },
  });
  const inviter = (await identityQueries.findUser(tx, actor.userId))?.name ?? 'A colleague';
  const company = (await identityQueries.findTenant(tx)).name;
  const url = invitationUrl(deps.publicUrl, token);
  return {
    invitation: { url, expiresAt: new Date(invitation.expires_at).toISOString() },
    mail: invitationMail(invitee, inviter, company, url),
  };
}

const alreadyJoined = (status: string) =>
  new ProblemError(
    409,
    'invalid_transition',
    status === 'active' ? 'This user has accepted their invitation already.' : 'This user’s access was revoked; invite them anew.',
  );

/**
 * The pending user a master asks a new link for: 404 when the id is no user of the company, 409 when the
 * user is no longer pending. Re-inviting a master grants that role again, so it needs a recent
 * authentication like inviting one.
 */
async function pendingInvitee(tx: Tx, actor: Actor, userId: string, lock: boolean) {
  requireMaster(actor);
  const user = lock ? await queries.lockUser(tx, userId) : await identityQueries.findUser(tx, userId);
  if (!user) throw notFound();
  if (user.status !== 'pending') throw alreadyJoined(user.status);
  if (user.role === 'master') requireRecentAuthentication(actor);
  return user;
}

/** As reserveInvitation, for a new link to a pending user: the recipient's and the company's budgets. */
export async function reserveReissue(tx: Tx, deps: Pick<IdentityDeps, 'emailKey'>, actor: Actor, userId: string, limits: InvitationLimits) {
  const user = await pendingInvitee(tx, actor, userId, false);
  await spendInvitationBudgets(tx, deps, actor, user.email, limits);
}

/**
 * A fresh link for a user whose invitation is still pending, because the copyable link is shown only
 * once: the earlier link stops working (its invitation ends, its open challenges expire), the new one
 * works for 7 days, and it is mailed again like a new invitation.
 */
export async function reissueInvitation(tx: Tx, deps: Pick<IdentityDeps, 'publicUrl'>, actor: Actor, userId: string, audit: AuditContext) {
  const user = await pendingInvitee(tx, actor, userId, true);
  await queries.endOpenInvitations(tx, user.id);
  await identityQueries.expireOpenChallenges(tx, user.id);
  // The old invitation may have lapsed and released the address to someone else meanwhile.
  if (!(await identityQueries.claimEmail(tx, user.email, user.id))) throw emailTaken();
  return issueInvitation(tx, deps, actor, user, { renewed: true }, audit);
}

async function insertInvitee(tx: Tx, invitee: { name: string; email: string; role: 'master' | 'member' }) {
  try {
    const user = await identityQueries.insertUser(tx, {
      ...invitee,
      phoneE164: null,
      phoneCountry: null,
      passwordHash: null,
      status: 'pending',
    });
    if (!(await identityQueries.claimEmail(tx, invitee.email, user.id))) throw emailTaken();
    return user;
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
}

/** Sends the invitation after commit; the master also has the link in the answer, so a failed send is only logged. */
export function sendInvitation(deps: Pick<IdentityDeps, 'mailer' | 'logger'>, mail: MailMessage): void {
  sendInBackground(deps, mail, 'invitation');
}

/** A live invitation behind a link, with its pending user, or null (unknown, used, withdrawn, expired). */
async function liveInvitation(tx: Tx, tokenHash: Buffer) {
  const invitation = await queries.lockInvitation(tx, tokenHash);
  if (!invitation || invitation.accepted_at !== null || invitation.ended_at !== null || !invitation.unexpired) return null;
  const user = await identityQueries.findUser(tx, invitation.user_id);
  if (!user || user.status !== 'pending') return null;
  return { invitation, user };
}

/**
 * The invitee chooses a password (the signup policy) and a phone (the signup rules); a code goes to the
 * phone, and only its verification activates the account and uses up the invitation. Until then the link
 * may be opened again, e.g. after a mistyped number: each acceptance replaces the previous one.
 */
export async function acceptInvitation(
  deps: IdentityDeps,
  token: string,
  input: { password: string; phone: string },
  client: Client,
): Promise<ChallengeView> {
  const phone = acceptablePhone(input.phone, deps.allowedCountries);
  const tokenHash = hashSecretToken(token);
  const found = await asAppWithoutTenant(deps.kysely, async (tx) => {
    const tenantId = await queries.invitationTenant(tx, tokenHash);
    if (!tenantId) return null;
    await enterTenant(tx, { tenantId, userId: null });
    const live = await liveInvitation(tx, tokenHash);
    return live ? { tenantId, user: live.user, companyName: (await identityQueries.findTenant(tx)).name } : null;
  });
  if (!found) throw invitationExpired();
  // The policy (possibly a breached-password lookup) and hashing run outside any transaction.
  await acceptablePassword(deps.passwordPolicy, input.password, {
    email: found.user.email,
    name: found.user.name,
    companyName: found.companyName,
  });
  const passwordHash = await hashPassword(input.password);

  const pending = await inTenant(deps.kysely, { tenantId: found.tenantId, userId: null }, async (tx) => {
    const live = await liveInvitation(tx, tokenHash);
    if (!live || live.user.id !== found.user.id) throw invitationExpired();
    await queries.setCredentials(tx, live.user.id, { passwordHash, phoneE164: phone.e164, phoneCountry: phone.country });
    await identityQueries.expireOpenChallenges(tx, live.user.id, 'invitation');
    return issueChallenge(
      tx,
      deps,
      { userId: live.user.id, purpose: 'invitation', phoneE164: phone.e164, channel: phone.defaultChannel, language: phone.language },
      auditOf(client, null),
    );
  });
  return deliver(deps, pending);
}
