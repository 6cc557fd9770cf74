import { recordAudit, type AuditContext } from '../audit/record.js';
import { visibleContractTitles } from '../contracts/queries.js';
import type { Tx } from '../db/tenant-context.js';
import { notFound, ProblemError } from '../http/problem.js';
import * as identityQueries from '../identity/queries.js';
import { type Actor, isActiveUser, requireMaster, requireRecentAuthentication } from '../identity/actor.js';
import { userView } from '../identity/views.js';
import * as queries from './queries.js';
import { ensureAnotherActiveMaster, isActiveMaster } from './roles.js';

/** The most contracts a 409 names; enough to act on, bounded so the answer stays small. */
const LISTED_CONTRACTS = 100;

/**
 * Names only the contracts the caller can see (row-level security decides, not the SECURITY DEFINER
 * function that found them) and counts the rest: a master learns that hidden contracts need a successor,
 * never their titles (issue 9, finding 1).
 */
async function handoverRequired(tx: Tx, contracts: queries.HandoverContract[]) {
  const managed = new Set(contracts.filter((contract) => contract.managed).map((contract) => contract.contract_id));
  const visible = await visibleContractTitles(
    tx,
    contracts.map((contract) => contract.contract_id),
  );
  return new ProblemError(
    409,
    'handover_required',
    'Some contracts would be left without an active user who can see them. Name a successor (successorId) to take them over.',
    {
      contracts: visible
        .slice(0, LISTED_CONTRACTS)
        .map((contract) => ({ id: contract.id, title: contract.title, managed: managed.has(contract.id) })),
      contractCount: contracts.length,
      hiddenContractCount: contracts.length - visible.length,
    },
  );
}

async function checkSuccessor(tx: Tx, revokedId: string, successorId: string) {
  if (successorId === revokedId || !(await isActiveUser(tx, successorId))) {
    throw new ProblemError(400, 'validation_failed', 'The successor must be another active user of your company.', {
      errors: [{ path: 'body:/successorId', message: 'is not another active user of your company' }],
    });
  }
}

/**
 * Revocation takes effect at once and whole, in this one transaction: the user's status, their sessions
 * (the session guard re-reads them in every request's own transaction, so the next request is refused),
 * pending codes, invitations and reset links — and, with a successor, the hand-over of every contract that
 * would otherwise be left without an active user who can see it. Nothing is deleted: a revoked user's
 * name stays on the history they made.
 */
export async function revokeUser(tx: Tx, actor: Actor, userId: string, input: { successorId?: string }, audit: AuditContext) {
  requireMaster(actor);
  requireRecentAuthentication(actor);
  await queries.lockTenantForRoleChanges(tx);
  const user = await queries.lockUser(tx, userId);
  if (!user) throw notFound();
  if (user.status === 'revoked') throw new ProblemError(409, 'invalid_transition', 'This user is revoked already.');
  if (isActiveMaster(user)) await ensureAnotherActiveMaster(tx, user.id);
  if (input.successorId !== undefined) await checkSuccessor(tx, user.id, input.successorId);

  const needing = await queries.contractsNeedingHandover(tx, user.id);
  let handedOver = 0;
  if (needing.length > 0) {
    if (input.successorId === undefined) throw await handoverRequired(tx, needing);
    handedOver = await queries.handOverContracts(tx, user.id, input.successorId);
    await recordAudit(tx, audit, {
      action: 'user.contracts_handed_over',
      target: { type: 'user', id: user.id },
      details: { successorId: input.successorId, contracts: handedOver, managed: needing.filter((contract) => contract.managed).length },
    });
  }

  const revoked = await queries.markRevoked(tx, user.id);
  const sessionsEnded = await identityQueries.endUserSessions(tx, user.id, 'revoked');
  const challengesEnded = await identityQueries.expireOpenChallenges(tx, user.id);
  const invitationsEnded = await queries.endOpenInvitations(tx, user.id);
  const resetsEnded = await identityQueries.usePasswordResets(tx, user.id);
  await recordAudit(tx, audit, {
    action: 'user.revoked',
    target: { type: 'user', id: user.id },
    details: {
      previousStatus: user.status,
      role: user.role,
      sessionsEnded,
      challengesEnded,
      invitationsEnded,
      resetsEnded,
      handedOver,
      ...(input.successorId !== undefined ? { successorId: input.successorId } : {}),
    },
  });
  return { user: userView(revoked), handedOver: { contracts: handedOver } };
}
