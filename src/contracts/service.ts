import { recordAudit, type AuditContext } from '../audit/record.js';
import type { ContractKind } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page, type Cursor } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import { type Actor, isActiveUser, requireRecentAuthentication } from '../identity/actor.js';
import { findVendor } from '../vendors/queries.js';
import {
  checkAccess,
  checkGroups,
  checkKeptLineItems,
  checkLineItems,
  checkManager,
  checkTerm,
  checkVendor,
  throwIfAny,
  type Errors,
} from './input-checks.js';
import { assertOfferOpen, assertPatchMove, defaultStatus, initialStatuses, invalidTransition, statusFitsKind } from './lifecycle.js';
import * as queries from './queries.js';
import {
  MAX_VERSIONS_EACH_WAY,
  type ContractInput,
  type ContractListQuery,
  type ContractPatch,
  type ContractTotalsQuery,
} from './schemas.js';
import { contractSummaryView, contractView } from './views.js';

const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor is cast to timestamptz and uuid in SQL: anything else must be a 400 here, not a 500 there. */
function decodeListCursor(value: string | undefined): Cursor | null {
  const cursor = decodeCursor(value);
  if (cursor === null) return null;
  const millis = `${cursor.key.slice(0, 23)}Z`;
  const valid =
    TIMESTAMP_KEY.test(cursor.key) &&
    UUID.test(cursor.id) &&
    !Number.isNaN(Date.parse(millis)) &&
    new Date(millis).toISOString() === millis;
  if (!valid)
    throw new ProblemError(400, 'validation_failed', 'The cursor is not valid.', {
      errors: [{ path: 'querystring:/cursor', message: 'is not a cursor from this API' }],
    });
  return cursor;
}

export async function listContracts(tx: Tx, query: ContractListQuery) {
  const limit = query.limit ?? 50;
  const rows = await queries.listContractViews(tx, {
    vendorId: query.vendorId,
    kind: query.kind,
    status: query.status,
    q: query.q?.trim() || undefined,
    after: decodeListCursor(query.cursor),
    limit,
  });
  const result = page(rows, limit, (row) => ({ key: row.cursor_key, id: row.id }));
  return { items: result.items.map(contractSummaryView), nextCursor: result.nextCursor };
}

/** Totals per currency over exactly the contracts listContracts would list with the same filters (every page). */
export async function contractTotals(tx: Tx, query: ContractTotalsQuery) {
  const rows = await queries.contractTotalsByCurrency(tx, {
    vendorId: query.vendorId,
    kind: query.kind,
    status: query.status,
    q: query.q?.trim() || undefined,
  });
  return { items: rows.map((row) => ({ currency: row.currency, total: row.total, count: row.count })) };
}

/**
 * The versions around a contract: what it supersedes, back to the first offer, and what supersedes it —
 * new versions, the contract made from an accepted proposal, renewals — oldest first. Up to
 * MAX_VERSIONS_EACH_WAY each way, the nearest ones; `truncated` says when there were more. Only what the
 * caller can see: a contract they may not see is 404, and the chain ends where they may not follow it.
 */
export async function contractVersions(tx: Tx, id: string) {
  const links = await queries.listVersionLinks(tx, id, MAX_VERSIONS_EACH_WAY);
  const nearest = (side: queries.VersionLink[]) =>
    side
      .sort((a, b) => Math.abs(a.step) - Math.abs(b.step))
      .slice(0, MAX_VERSIONS_EACH_WAY)
      .map((link) => link.id);
  const earlier = links.filter((link) => link.step < 0);
  const later = links.filter((link) => link.step > 0);
  const ids = [id, ...nearest(earlier), ...nearest(later)];
  const rows = await queries.listContractViewsByIds(tx, ids);
  if (!rows.some((row) => row.id === id)) throw notFound();
  return {
    items: rows.map(contractSummaryView),
    truncated: earlier.length > MAX_VERSIONS_EACH_WAY || later.length > MAX_VERSIONS_EACH_WAY,
  };
}

export async function getContract(tx: Tx, id: string) {
  const row = await queries.findContractView(tx, id);
  if (!row) throw notFound();
  return contractView(row, await queries.listLineItems(tx, id));
}

/**
 * What a new contract or proposal may supersede: a contract renews a contract of the same vendor; a
 * proposal is the next version of a proposal (or a renewal offer for a contract). Locked, because a pending
 * proposal is about to become superseded.
 */
async function checkPredecessor(tx: Tx, errors: Errors, kind: ContractKind, supersedesId: string, vendorId: string) {
  const predecessor = await queries.lockContract(tx, supersedesId);
  const path = 'body:/supersedesId';
  if (!predecessor) errors.push({ path, message: 'is not a known contract or proposal' });
  else if (predecessor.vendor_id !== vendorId) errors.push({ path, message: 'belongs to another vendor' });
  else if (kind === 'contract' && predecessor.kind === 'proposal') {
    errors.push({ path, message: 'a contract supersedes a contract; a proposal becomes a contract by accepting it' });
  }
  return predecessor;
}

export async function createContract(tx: Tx, actor: Actor, input: ContractInput, audit: AuditContext) {
  const kind = input.kind ?? 'contract';
  const status = input.status ?? defaultStatus(kind);
  const managerId = input.managerId ?? actor.userId;
  const errors: Errors = [];
  // A new version or renewal keeps its predecessor's groups unless told otherwise: a restricted offer's
  // next version is never visible to everyone, not even for a moment.
  const predecessor = input.supersedesId ? await checkPredecessor(tx, errors, kind, input.supersedesId, input.vendorId) : undefined;
  const inheritedGroupIds = predecessor ? await queries.groupIdsOf(tx, predecessor.id) : [];
  const groupIds = input.groupIds ?? inheritedGroupIds;
  if (!initialStatuses(kind).includes(status))
    errors.push({ path: 'body:/status', message: `must be one of ${initialStatuses(kind).join(', ')} for a new ${kind}` });
  checkTerm(errors, {
    startsOn: input.startsOn,
    endsOn: input.endsOn ?? null,
    autoRenew: input.autoRenew ?? false,
    renewalTermMonths: input.renewalTermMonths ?? null,
  });
  await checkVendor(tx, errors, input.vendorId);
  if (input.managerId !== undefined) await checkManager(tx, errors, input.managerId);
  const groupsKnown = await checkGroups(tx, errors, groupIds);
  if (groupsKnown) await checkAccess(tx, errors, { groupIds, managerId, callerId: actor.userId, groupsChanged: true });
  const lineItems = await checkLineItems(tx, errors, input.lineItems ?? [], input.vendorId);
  throwIfAny(errors);
  await checkNewContractGroups(tx, actor, groupIds, inheritedGroupIds);

  if (predecessor?.kind === 'proposal' && kind === 'proposal') {
    if (predecessor.status !== 'pending' || !(await queries.moveStatus(tx, predecessor.id, 'pending', 'superseded'))) {
      throw invalidTransition(`The proposal to supersede is ${predecessor.status}; only a pending proposal gets a new version.`);
    }
  }
  const id = await queries.insertContract(tx, {
    vendor_id: input.vendorId,
    kind,
    reference: input.reference ?? null,
    title: input.title.trim(),
    status,
    signed_on: input.signedOn ?? null,
    starts_on: input.startsOn,
    ends_on: input.endsOn ?? null,
    notice_period_days: input.noticePeriodDays ?? null,
    auto_renew: input.autoRenew ?? false,
    renewal_term_months: input.renewalTermMonths ?? null,
    currency: input.currency,
    manager_id: managerId,
    terms: input.terms ?? null,
    supersedes_id: input.supersedesId ?? null,
  });
  await queries.replaceGroups(tx, id, groupIds);
  if (groupIds.length > 0) await recordVisibilityChange(tx, audit, id, [], groupIds);
  await queries.replaceLineItems(tx, id, lineItems);
  return getContract(tx, id);
}

const sameGroups = (a: string[], b: string[]) => a.length === b.length && a.every((groupId) => b.includes(groupId));

const forbidden = (detail: string) => new ProblemError(403, 'forbidden', detail);

/**
 * Promise 2: the master defines who sees which contract (issue 9, finding 2). A member may restrict a new
 * contract only to access groups they belong to, so a confidential contract is never visible to everyone
 * and never hidden from its own author; a new version keeps its predecessor's groups unless a master
 * changes them. A master may choose any groups (checkAccess still keeps the master's own sight).
 */
async function checkNewContractGroups(tx: Tx, actor: Actor, groupIds: string[], inheritedGroupIds: string[]) {
  if (actor.role === 'master' || sameGroups(groupIds, inheritedGroupIds)) return;
  if (inheritedGroupIds.length > 0)
    throw forbidden('A new version keeps the access groups of the one it supersedes; only a master changes them.');
  if (!(await queries.isMemberOfAll(tx, actor.userId, groupIds)))
    throw forbidden('You may restrict a new contract only to access groups you belong to.');
}

/**
 * Changing an existing contract's groups is a master's act with a fresh authentication. A member who can
 * see the contract is told so (403); one who cannot never got this far (404 from the locked read).
 */
function checkGroupsChange(actor: Actor) {
  if (actor.role !== 'master') throw forbidden('Only a master changes who may see a contract.');
  requireRecentAuthentication(actor);
}

/** Who may see a contract is security-relevant: every change of its groups goes to the audit trail. */
async function recordVisibilityChange(tx: Tx, audit: AuditContext, contractId: string, before: string[], after: string[]) {
  await recordAudit(tx, audit, {
    action: 'contract.visibility_changed',
    target: { type: 'contract', id: contractId },
    details: { groupIdsBefore: [...before].sort(), groupIdsAfter: [...after].sort() },
  });
}

/** A patch value where null means "clear" and absence means "keep". */
const patched = <T>(value: T | undefined, current: T): T => (value === undefined ? current : value);

export async function updateContract(tx: Tx, actor: Actor, id: string, patch: ContractPatch, audit: AuditContext) {
  const row = await queries.lockContract(tx, id);
  if (!row) throw notFound();
  assertOfferOpen(row.kind, row.status, Object.keys(patch));
  const groupIdsBefore = await queries.groupIdsOf(tx, id);
  const groupsChange = patch.groupIds !== undefined && !sameGroups(patch.groupIds, groupIdsBefore);
  if (groupsChange) checkGroupsChange(actor);
  const errors: Errors = [];
  if (patch.status !== undefined && !statusFitsKind(row.kind, patch.status))
    errors.push({ path: 'body:/status', message: `is not a status of a ${row.kind}` });
  checkTerm(errors, {
    startsOn: patched(patch.startsOn, row.starts_on),
    endsOn: patched(patch.endsOn, row.ends_on),
    autoRenew: patched(patch.autoRenew, row.auto_renew),
    renewalTermMonths: patched(patch.renewalTermMonths, row.renewal_term_months),
  });
  const vendorId = patched(patch.vendorId, row.vendor_id);
  if (vendorId !== row.vendor_id) await checkVendor(tx, errors, vendorId);
  if (patch.managerId !== undefined) await checkManager(tx, errors, patch.managerId);
  const groupsKnown = patch.groupIds === undefined || (await checkGroups(tx, errors, patch.groupIds));
  if ((patch.groupIds !== undefined || patch.managerId !== undefined) && groupsKnown) {
    await checkAccess(tx, errors, {
      groupIds: patch.groupIds ?? groupIdsBefore,
      managerId: patched(patch.managerId, row.manager_id),
      callerId: actor.userId,
      groupsChanged: patch.groupIds !== undefined,
    });
  }
  const lineItems = patch.lineItems === undefined ? undefined : await checkLineItems(tx, errors, patch.lineItems, vendorId);
  if (lineItems === undefined && vendorId !== row.vendor_id) await checkKeptLineItems(tx, errors, id, vendorId);
  throwIfAny(errors);
  if (patch.status !== undefined) assertPatchMove(row.kind, row.status, patch.status);

  await queries.updateContract(tx, id, {
    ...(patch.vendorId === undefined ? {} : { vendor_id: patch.vendorId }),
    ...(patch.reference === undefined ? {} : { reference: patch.reference }),
    ...(patch.title === undefined ? {} : { title: patch.title.trim() }),
    ...(patch.status === undefined ? {} : { status: patch.status }),
    ...(patch.signedOn === undefined ? {} : { signed_on: patch.signedOn }),
    ...(patch.startsOn === undefined ? {} : { starts_on: patch.startsOn }),
    ...(patch.endsOn === undefined ? {} : { ends_on: patch.endsOn }),
    ...(patch.noticePeriodDays === undefined ? {} : { notice_period_days: patch.noticePeriodDays }),
    ...(patch.autoRenew === undefined ? {} : { auto_renew: patch.autoRenew }),
    ...(patch.renewalTermMonths === undefined ? {} : { renewal_term_months: patch.renewalTermMonths }),
    ...(patch.currency === undefined ? {} : { currency: patch.currency }),
    ...(patch.managerId === undefined ? {} : { manager_id: patch.managerId }),
    ...(patch.terms === undefined ? {} : { terms: patch.terms }),
  });
  if (patch.groupIds !== undefined && groupsChange) {
    await queries.replaceGroups(tx, id, patch.groupIds);
    await recordVisibilityChange(tx, audit, id, groupIdsBefore, patch.groupIds);
  }
  if (lineItems !== undefined) await queries.replaceLineItems(tx, id, lineItems);
  return getContract(tx, id);
}

export async function archiveContract(tx: Tx, id: string) {
  if (!(await queries.archiveContract(tx, id))) throw notFound();
}

/**
 * Accepting a pending proposal marks it accepted and creates its contract — same terms, line items and
 * groups, superseding the proposal — in the caller's one transaction: either both happen or neither.
 * If the proposal's manager has left or can no longer see it, the caller (who can) manages the contract.
 */
export async function acceptProposal(tx: Tx, actor: Actor, id: string) {
  const proposal = await queries.lockContract(tx, id);
  if (!proposal) throw notFound();
  if (proposal.kind !== 'proposal') throw invalidTransition('Only a proposal can be accepted; this is a contract.');
  if (proposal.status !== 'pending' || !(await queries.moveStatus(tx, id, 'pending', 'accepted'))) {
    throw invalidTransition(`This proposal is ${proposal.status}; only a pending proposal can be accepted.`);
  }
  const groupIds = await queries.groupIdsOf(tx, id);
  const managerStays =
    (await isActiveUser(tx, proposal.manager_id)) &&
    (groupIds.length === 0 || (await queries.isMemberOfAny(tx, proposal.manager_id, groupIds)));
  const contractId = await queries.insertContract(tx, {
    vendor_id: proposal.vendor_id,
    kind: 'contract',
    reference: proposal.reference,
    title: proposal.title,
    status: 'active',
    signed_on: proposal.signed_on,
    starts_on: proposal.starts_on,
    ends_on: proposal.ends_on,
    notice_period_days: proposal.notice_period_days,
    auto_renew: proposal.auto_renew,
    renewal_term_months: proposal.renewal_term_months,
    currency: proposal.currency,
    manager_id: managerStays ? proposal.manager_id : actor.userId,
    terms: proposal.terms,
    supersedes_id: proposal.id,
  });
  await queries.copyContents(tx, id, contractId);
  return getContract(tx, contractId);
}

export async function vendorContractTotals(tx: Tx, vendorId: string) {
  if (!(await findVendor(tx, vendorId))) throw notFound();
  const rows = await queries.vendorTotalsByCurrency(tx, vendorId);
  return {
    vendorId,
    contracts: rows.reduce((sum, row) => sum + row.contracts, 0),
    totalsByCurrency: rows.map((row) => ({
      currency: row.currency,
      net: row.net,
      annualMaintenance: row.annual_maintenance,
      contracts: row.contracts,
    })),
  };
}
