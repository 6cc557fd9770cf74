import { recordAudit, type AuditContext } from '../audit/record.js';
import { visibleContractTitles } from '../contracts/queries.js';
import { isForeignKeyViolation, refusingDuplicates } from '../db/errors.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import { type Actor, requireMaster, requireRecentAuthentication } from '../identity/actor.js';
import * as queries from './queries.js';

/** The most contracts a 409 names; enough to act on, bounded so the answer stays small. */
const LISTED_CONTRACTS = 100;

export function groupView(row: queries.GroupViewRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    memberIds: row.member_ids,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const nameTaken = () => new ProblemError(409, 'name_taken', 'An access group with this name exists already.');

const withUniqueName = <T>(write: () => Promise<T>) => refusingDuplicates(write, nameTaken);

async function loadGroup(tx: Tx, id: string) {
  const row = await queries.findGroup(tx, id);
  if (!row) throw notFound();
  return row;
}

export async function listGroups(tx: Tx, query: { limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50;
  const rows = await queries.listGroups(tx, { after: decodeCursor(query.cursor), limit });
  const result = page(rows, limit, (row) => ({ key: row.name.toLowerCase(), id: row.id }));
  return { items: result.items.map(groupView), nextCursor: result.nextCursor };
}

export async function getGroup(tx: Tx, id: string) {
  return groupView(await loadGroup(tx, id));
}

export async function createGroup(tx: Tx, actor: Actor, audit: AuditContext, input: { name: string; description?: string | null }) {
  requireMaster(actor);
  const name = input.name.trim();
  const { id } = await withUniqueName(() => queries.insertGroup(tx, { name, description: input.description ?? null }));
  await recordAudit(tx, audit, { action: 'group.created', target: { type: 'group', id }, details: { groupId: id, name } });
  return groupView(await loadGroup(tx, id));
}

export async function updateGroup(
  tx: Tx,
  actor: Actor,
  audit: AuditContext,
  id: string,
  patch: { name?: string; description?: string | null },
) {
  requireMaster(actor);
  const before = await loadGroup(tx, id);
  const name = patch.name?.trim();
  await withUniqueName(() =>
    queries.updateGroup(tx, id, {
      ...(name ? { name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
    }),
  );
  const renamed = name !== undefined && name !== before.name;
  const descriptionChanged = patch.description !== undefined && patch.description !== before.description;
  if (renamed || descriptionChanged) {
    await recordAudit(tx, audit, {
      action: renamed ? 'group.renamed' : 'group.updated',
      target: { type: 'group', id },
      details: { groupId: id, ...(renamed ? { from: before.name, to: name } : {}), descriptionChanged },
    });
  }
  return groupView(await loadGroup(tx, id));
}

/**
 * A group that still restricts contracts stays: removing it would silently widen or end their visibility.
 * The answer lists the contracts the caller can see; contract_groups' foreign key also catches the ones
 * the caller cannot see (their existence is then admitted, never their titles or number).
 */
export async function deleteGroup(tx: Tx, actor: Actor, audit: AuditContext, id: string) {
  requireMaster(actor);
  const group = await loadGroup(tx, id);
  const contracts = await queries.visibleContractsOf(tx, id, LISTED_CONTRACTS);
  if (contracts.length > 0) throw groupInUse(contracts);
  try {
    if (!(await queries.deleteGroup(tx, id))) throw notFound();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw groupInUse([]);
    throw error;
  }
  await recordAudit(tx, audit, {
    action: 'group.deleted',
    target: { type: 'group', id },
    details: { groupId: id, name: group.name, memberIds: group.member_ids },
  });
}

function groupInUse(contracts: Array<{ id: string; title: string }>) {
  const detail =
    contracts.length > 0
      ? 'This access group still restricts contracts; give them other groups first.'
      : 'This access group still restricts contracts you cannot see; a member of the group must give them other groups first.';
  return new ProblemError(409, 'group_in_use', detail, { contracts });
}

export async function addMember(tx: Tx, actor: Actor, audit: AuditContext, groupId: string, userId: string) {
  requireMaster(actor);
  requireRecentAuthentication(actor);
  await loadGroup(tx, groupId);
  const user = await queries.findUser(tx, userId);
  if (!user || user.status !== 'active') throw notFound('No active user with this id.');
  if (!(await queries.addMember(tx, groupId, userId))) return;
  // A master adding themselves gains sight of the group's restricted contracts: the trail says so.
  await recordAudit(tx, audit, {
    action: 'group.member_added',
    target: { type: 'group', id: groupId },
    details: { groupId, userId, self: userId === actor.userId },
  });
}

/**
 * Removing a member must not leave a restricted contract with nobody able to see it. The check runs after
 * the removal, in the same transaction, over the whole tenant (including contracts the caller cannot
 * see): a contract orphaned now but not before is this removal's doing, and the 409 rolls it back.
 */
export async function removeMember(tx: Tx, actor: Actor, audit: AuditContext, groupId: string, userId: string) {
  requireMaster(actor);
  requireRecentAuthentication(actor);
  await loadGroup(tx, groupId);
  if (!(await queries.findUser(tx, userId))) throw notFound('No user with this id.');
  await queries.lockTenantAccess(tx);
  const orphanedBefore = new Set(await queries.orphanedContractIds(tx));
  await queries.savepointBeforeMembershipChange(tx);
  if (!(await queries.removeMember(tx, groupId, userId))) return;
  const orphaned = (await queries.orphanedContractIds(tx)).filter((id) => !orphanedBefore.has(id));
  if (orphaned.length > 0) {
    // Name only what the caller could see before the removal; count the rest (issue 9, finding 1).
    await queries.undoMembershipChange(tx);
    const visible = await visibleContractTitles(tx, orphaned);
    throw new ProblemError(
      409,
      'handover_required',
      'Without this member, no active user could see these contracts; add someone to their groups first.',
      {
        contracts: visible.slice(0, LISTED_CONTRACTS),
        hiddenContractCount: orphaned.length - visible.length,
      },
    );
  }
  await recordAudit(tx, audit, {
    action: 'group.member_removed',
    target: { type: 'group', id: groupId },
    details: { groupId, userId, self: userId === actor.userId },
  });
}
