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

/**
 * What a PATCH may still change on a decided (accepted, rejected or superseded) proposal: how it is named
 * and who manages and may see it. The offer itself — vendor, dates, money, terms, line items — is history:
 * price history shows it, an accepted one was copied into its contract, and a new offer is a new version.
 */
const EDITABLE_WHEN_DECIDED: ReadonlySet<string> = new Set(['reference', 'title', 'managerId', 'groupIds', 'status']);

/** Throws 409 proposal_decided, naming the fields, when a PATCH would change a decided proposal's offer. */
export function assertOfferOpen(kind: ContractKind, status: ContractStatus, fields: readonly string[]): void {
  if (kind !== 'proposal' || status === 'pending') return;
  const frozen = fields.filter((field) => !EDITABLE_WHEN_DECIDED.has(field));
  if (frozen.length === 0) return;
  throw new ProblemError(
    409,
    'proposal_decided',
    `This proposal is ${status}: its offer stays as it was. Make a new version with supersedesId instead.`,
    {
      fields: frozen,
    },
  );
}
