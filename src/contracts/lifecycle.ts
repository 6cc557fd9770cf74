import type { ContractKind, ContractStatus } from '../db/schema.js';
import { ProblemError } from '../http/problem.js';

/**
 * Which statuses each kind may take and how a status may move by PATCH. A proposal becomes `accepted`
 * only through POST …/accept (which creates the contract) and `superseded` only when a new version is
 * created; a terminated contract stays terminated.
 */
const statusesOf: Record<ContractKind, readonly ContractStatus[]> = {
  contract: ['active', 'expired', 'terminated'],
  proposal: ['pending', 'accepted', 'rejected', 'superseded'],
};

const patchMoves: Partial<Record<ContractStatus, readonly ContractStatus[]>> = {
  active: ['expired', 'terminated'],
  expired: ['active', 'terminated'],
  pending: ['rejected'],
};

/** A new contract may record any contract status (an import of history); a new proposal is pending. */
export function initialStatuses(kind: ContractKind): readonly ContractStatus[] {
  return kind === 'contract' ? statusesOf.contract : ['pending'];
}

export const defaultStatus = (kind: ContractKind): ContractStatus => (kind === 'contract' ? 'active' : 'pending');

export const statusFitsKind = (kind: ContractKind, status: ContractStatus) => statusesOf[kind].includes(status);

export function invalidTransition(detail: string) {
  return new ProblemError(409, 'invalid_transition', detail);
}

/** Throws 409 invalid_transition unless PATCH may move the status from → to. */
export function assertPatchMove(kind: ContractKind, from: ContractStatus, to: ContractStatus): void {
  if (from === to || patchMoves[from]?.includes(to)) return;
  if (kind === 'proposal' && from === 'pending' && to === 'accepted') {
    throw invalidTransition('Accept a proposal with POST /api/v1/contracts/{id}/accept; that also creates its contract.');
  }
  if (kind === 'proposal' && from === 'pending' && to === 'superseded') {
    throw invalidTransition('A proposal is superseded by creating its next version with supersedesId.');
  }
  throw invalidTransition(`A ${kind} cannot move from ${from} to ${to}.`);
}
