import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';

// Tenant isolation is the database's (row-level security); nothing here filters by tenant. Contracts are
// seen through the caller's eyes: a restricted contract outside the caller's groups is invisible here too.

/** Groups with their active members; a revoked user's leftover membership grants nothing and is not shown. */
function groupViews(tx: Tx) {
  return tx
    .selectFrom('access_groups as g')
    .selectAll('g')
    .select(
      sql<string[]>`array(
        SELECT m.user_id::text
          FROM access_group_members m
          JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id AND u.status = 'active'
         WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id
         ORDER BY m.user_id)`.as('member_ids'),
    );
}

export type GroupViewRow = NonNullable<Awaited<ReturnType<typeof findGroup>>>;

export function listGroups(tx: Tx, options: { after: Cursor | null; limit: number }) {
  let query = groupViews(tx);
  if (options.after) {
    const after = options.after;
    query = query.where((eb) =>
      eb.or([eb(sql`lower(g.name)`, '>', after.key), eb.and([eb(sql`lower(g.name)`, '=', after.key), eb('g.id', '>', after.id)])]),
    );
  }
  return query
    .orderBy(sql`lower(g.name)`)
    .orderBy('g.id')
    .limit(options.limit + 1)
    .execute();
}

export function findGroup(tx: Tx, id: string) {
  return groupViews(tx).where('g.id', '=', id).executeTakeFirst();
}

export function insertGroup(tx: Tx, group: { name: string; description: string | null }) {
  return tx.insertInto('access_groups').values(group).returning('id').executeTakeFirstOrThrow();
}

export function updateGroup(tx: Tx, id: string, patch: Partial<{ name: string; description: string | null }>) {
  return tx.updateTable('access_groups').set(patch).where('id', '=', id).returning('id').executeTakeFirst();
}

export async function deleteGroup(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('access_groups').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The contracts (archived ones too) that this group restricts, as far as the caller can see them. */
export function visibleContractsOf(tx: Tx, groupId: string, limit: number) {
  return tx
    .selectFrom('contract_groups as cg')
    .innerJoin('contracts as c', (join) => join.onRef('c.tenant_id', '=', 'cg.tenant_id').onRef('c.id', '=', 'cg.contract_id'))
    .select(['c.id', 'c.title'])
    .where('cg.group_id', '=', groupId)
    .orderBy('c.title')
    .orderBy('c.id')
    .limit(limit)
    .execute();
}

export function findUser(tx: Tx, id: string) {
  return tx.selectFrom('users').select(['id', 'status']).where('id', '=', id).executeTakeFirst();
}

/** Adds a membership; false when it existed already. */
export async function addMember(tx: Tx, groupId: string, userId: string): Promise<boolean> {
  const added = await tx
    .insertInto('access_group_members')
    .values({ group_id: groupId, user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return added !== undefined;
}

/** Removes a membership; false when there was none. */
export async function removeMember(tx: Tx, groupId: string, userId: string): Promise<boolean> {
  const result = await tx
    .deleteFrom('access_group_members')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Serialises changes to who-can-see-what within one tenant until the transaction ends. Without it, two
 * masters removing the last two members of a contract's two groups at the same moment would each still
 * see the other member and orphan the contract together.
 */
export async function lockTenantAccess(tx: Tx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('pactum_access'), hashtext(pactum_current_tenant()::text))`.execute(tx);
}

/**
 * Ids of live restricted contracts that no active user of the tenant can see, found over the whole tenant
 * (also those the caller cannot see). Only ids: titles come through row-level security.
 */
export async function orphanedContractIds(tx: Tx): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`SELECT contract_id AS id FROM pactum_orphaned_contracts()`.execute(tx);
  return rows.map((row) => row.id);
}

/**
 * A savepoint before a membership change, so that a refusal can look at contracts through the caller's
 * eyes as they were before the change (after it, an orphaned contract is by definition seen by nobody).
 */
export async function savepointBeforeMembershipChange(tx: Tx): Promise<void> {
  await sql`SAVEPOINT membership_change`.execute(tx);
}

export async function undoMembershipChange(tx: Tx): Promise<void> {
  await sql`ROLLBACK TO SAVEPOINT membership_change`.execute(tx);
}
