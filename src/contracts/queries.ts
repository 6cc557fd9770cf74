import { sql, type Insertable, type Updateable } from 'kysely';
import type { ContractKind, ContractsTable, ContractStatus } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';
import { queryShape } from '../db/query-shapes.js';
import { escapeLike } from '../db/like-pattern.js';

// An aggregate without GROUP BY yields exactly one row, so the totals are joined laterally with an inner join.
// Visibility is the database's: the contract_visibility policy hides restricted contracts from non-members,
// and line items and groups are visible only through a visible contract. Nothing here filters by tenant.

/**
 * Money arithmetic stays in numeric. `× 0.01` instead of `/ 100` keeps every step exact (numeric
 * multiplication never rounds), so the only rounding is the final half-up round to 4 places.
 */
const LINE_NET = sql`li.quantity * li.net_unit_price`;
const LINE_MAINTENANCE = sql`li.quantity * li.net_unit_price * coalesce(li.maintenance_percent, 0) * 0.01`;

/** Live contracts with their vendor's name, groups and line-item totals. */
function contractViews(tx: Tx) {
  return tx
    .selectFrom('contracts as c')
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'c.tenant_id').onRef('v.id', '=', 'c.vendor_id'))
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('line_items as li')
          .select([
            sql<string>`round(coalesce(sum(li.quantity * li.list_unit_price), 0), 4)`.as('list'),
            sql<string>`round(coalesce(sum(${LINE_NET}), 0), 4)`.as('net'),
            sql<string>`round(coalesce(sum(${LINE_MAINTENANCE}), 0), 4)`.as('annual_maintenance'),
            sql<number>`count(*)::int`.as('line_item_count'),
          ])
          .whereRef('li.tenant_id', '=', 'c.tenant_id')
          .whereRef('li.contract_id', '=', 'c.id')
          .as('t'),
      (join) => join.onTrue(),
    )
    .selectAll('c')
    .select([
      'v.name as vendor_name',
      't.list',
      't.net',
      sql<string>`t.list - t.net`.as('discount'),
      't.annual_maintenance',
      't.line_item_count',
      // `restricted` is kept equal to "has groups" by a trigger: unrestricted rows skip the lookup. A function,
      // not a subquery on contract_groups: its policy would be planned into every list (migration 0006).
      sql<string[]>`CASE WHEN c.restricted THEN pactum_contract_group_ids(c.tenant_id, c.id) ELSE '{}'::text[] END`.as('group_ids'),
      // Microsecond precision: a JS Date would cut the key to milliseconds and make pages skip rows.
      sql<string>`to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_key'),
    ])
    .where('c.archived_at', 'is', null);
}

export type ContractViewRow = NonNullable<Awaited<ReturnType<typeof findContractView>>>;

export function findContractView(tx: Tx, id: string) {
  return contractViews(tx).where('c.id', '=', id).executeTakeFirst();
}

export interface ContractFilter {
  vendorId?: string;
  kind?: ContractKind;
  status?: ContractStatus;
  q?: string;
}

/** What a list filters by; `pattern` is an ILIKE pattern, `limit` the number of rows to fetch. */
interface ContractListValues extends Record<string, unknown> {
  vendorId?: string;
  kind?: ContractKind;
  status?: ContractStatus;
  pattern?: string;
  afterKey?: string;
  afterId?: string;
  limit: number;
}

/** Built once per combination of filters: the list is the hottest query of the API (src/db/query-shapes.ts). */
const contractList = queryShape((tx: Tx, values: ContractListValues) => {
  let query = contractViews(tx);
  if (values.vendorId !== undefined) query = query.where('c.vendor_id', '=', values.vendorId);
  if (values.kind !== undefined) query = query.where('c.kind', '=', values.kind);
  if (values.status !== undefined) query = query.where('c.status', '=', values.status);
  if (values.pattern !== undefined) {
    const pattern = values.pattern;
    query = query.where((eb) =>
      eb.or([
        eb('c.title', 'ilike', pattern),
        eb('c.reference', 'ilike', pattern),
        eb('v.name', 'ilike', pattern),
        eb.exists(
          eb
            .selectFrom('line_items as sli')
            .innerJoin('products as p', (join) => join.onRef('p.tenant_id', '=', 'sli.tenant_id').onRef('p.id', '=', 'sli.product_id'))
            .select(sql`1`.as('one'))
            .whereRef('sli.tenant_id', '=', 'c.tenant_id')
            .whereRef('sli.contract_id', '=', 'c.id')
            .where('p.name', 'ilike', pattern),
        ),
      ]),
    );
  }
  if (values.afterKey !== undefined && values.afterId !== undefined) {
    query = query.where(sql<boolean>`(c.created_at, c.id) < (${values.afterKey}::timestamptz, ${values.afterId}::uuid)`);
  }
  return query.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(values.limit);
});

/** Newest first by creation time, then id: a stable keyset order that the listing index serves. */
export function listContractViews(tx: Tx, options: ContractFilter & { after: Cursor | null; limit: number }) {
  return contractList(tx, {
    vendorId: options.vendorId,
    kind: options.kind,
    status: options.status,
    pattern: options.q ? `%${escapeLike(options.q)}%` : undefined,
    afterKey: options.after?.key,
    afterId: options.after?.id,
    limit: options.limit + 1,
  });
}

export function listLineItems(tx: Tx, contractId: string) {
  return tx.selectFrom('line_items').selectAll().where('contract_id', '=', contractId).orderBy('position').execute();
}

/** The contract row itself, locked for a state change so that two requests cannot both move it. */
export function lockContract(tx: Tx, id: string) {
  return tx.selectFrom('contracts').selectAll().where('id', '=', id).where('archived_at', 'is', null).forUpdate().executeTakeFirst();
}

export function findContract(tx: Tx, id: string) {
  return tx
    .selectFrom('contracts')
    .select(['id', 'kind', 'status', 'vendor_id'])
    .where('id', '=', id)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
}

export type NewContract = Omit<Insertable<ContractsTable>, 'tenant_id' | 'id' | 'restricted' | 'archived_at' | 'created_at' | 'updated_at'>;

export async function insertContract(tx: Tx, contract: NewContract): Promise<string> {
  const row = await tx.insertInto('contracts').values(contract).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export type ContractChanges = Omit<
  Updateable<ContractsTable>,
  'tenant_id' | 'id' | 'kind' | 'supersedes_id' | 'restricted' | 'archived_at' | 'created_at' | 'updated_at'
>;

export async function updateContract(tx: Tx, id: string, changes: ContractChanges): Promise<void> {
  await tx
    .updateTable('contracts')
    .set({ ...changes, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('archived_at', 'is', null)
    .execute();
}

/** Moves the status only from the expected one, so a concurrent change shows up as "nothing updated". */
export async function moveStatus(tx: Tx, id: string, from: ContractStatus, to: ContractStatus): Promise<boolean> {
  const result = await tx
    .updateTable('contracts')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', from)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function archiveContract(tx: Tx, id: string): Promise<boolean> {
  const result = await tx
    .updateTable('contracts')
    .set({ archived_at: sql`now()`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface NewLineItem {
  productId: string;
  quantity: number;
  blockSize: number;
  listUnitPrice: string;
  discountPercent: string | null;
  netUnitPrice: string | null;
  maintenancePercent: string | null;
  terms: string | null;
}

/** Replaces all line items (positions 0..n-1). A missing net price is derived from the discount in numeric. */
export async function replaceLineItems(tx: Tx, contractId: string, items: NewLineItem[]): Promise<void> {
  await tx.deleteFrom('line_items').where('contract_id', '=', contractId).execute();
  if (items.length === 0) return;
  await tx
    .insertInto('line_items')
    .values(
      items.map((item, position) => ({
        contract_id: contractId,
        position,
        product_id: item.productId,
        quantity: item.quantity,
        block_size: item.blockSize,
        list_unit_price: item.listUnitPrice,
        discount_percent: item.discountPercent,
        net_unit_price:
          item.netUnitPrice ??
          sql<string>`round(${item.listUnitPrice}::numeric * (100 - ${item.discountPercent ?? '0'}::numeric) * 0.01, 4)`,
        maintenance_percent: item.maintenancePercent,
        terms: item.terms,
      })),
    )
    .execute();
}

export async function replaceGroups(tx: Tx, contractId: string, groupIds: string[]): Promise<void> {
  await tx.deleteFrom('contract_groups').where('contract_id', '=', contractId).execute();
  if (groupIds.length === 0) return;
  await tx
    .insertInto('contract_groups')
    .values(groupIds.map((groupId) => ({ contract_id: contractId, group_id: groupId })))
    .execute();
}

export async function groupIdsOf(tx: Tx, contractId: string): Promise<string[]> {
  const rows = await tx.selectFrom('contract_groups').select('group_id').where('contract_id', '=', contractId).execute();
  return rows.map((row) => row.group_id);
}

/** Copies line items and groups exactly as stored (numeric to numeric, no round trip through the app). */
export async function copyContents(tx: Tx, fromId: string, toId: string): Promise<void> {
  await sql`
    INSERT INTO line_items (contract_id, position, product_id, quantity, block_size, list_unit_price, discount_percent,
                            net_unit_price, maintenance_percent, terms)
    SELECT ${toId}::uuid, position, product_id, quantity, block_size, list_unit_price, discount_percent,
           net_unit_price, maintenance_percent, terms
      FROM line_items WHERE contract_id = ${fromId}::uuid`.execute(tx);
  await sql`
    INSERT INTO contract_groups (contract_id, group_id)
    SELECT ${toId}::uuid, group_id FROM contract_groups WHERE contract_id = ${fromId}::uuid`.execute(tx);
}

export function findProducts(tx: Tx, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return tx.selectFrom('products').select(['id', 'vendor_id', 'block_size']).where('id', 'in', ids).execute();
}

export async function existingGroupIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.selectFrom('access_groups').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}

export async function isMemberOfAny(tx: Tx, userId: string, groupIds: string[]): Promise<boolean> {
  if (groupIds.length === 0) return false;
  const row = await tx
    .selectFrom('access_group_members')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('group_id', 'in', groupIds)
    .executeTakeFirst();
  return row !== undefined;
}

export async function isMemberOfAll(tx: Tx, userId: string, groupIds: string[]): Promise<boolean> {
  if (groupIds.length === 0) return true;
  const rows = await tx
    .selectFrom('access_group_members')
    .select('group_id')
    .where('user_id', '=', userId)
    .where('group_id', 'in', groupIds)
    .execute();
  return new Set(rows.map((row) => row.group_id)).size === new Set(groupIds).size;
}

/** Vendors of the products on a contract's current line items. */
export async function lineItemVendorIds(tx: Tx, contractId: string): Promise<string[]> {
  const rows = await tx
    .selectFrom('line_items as li')
    .innerJoin('products as p', (join) => join.onRef('p.tenant_id', '=', 'li.tenant_id').onRef('p.id', '=', 'li.product_id'))
    .select('p.vendor_id')
    .distinct()
    .where('li.contract_id', '=', contractId)
    .execute();
  return rows.map((row) => row.vendor_id);
}

/** Active, live contracts of one vendor, summed per currency: amounts in different currencies never add up. */
export function vendorTotalsByCurrency(tx: Tx, vendorId: string) {
  return tx
    .selectFrom('contracts as c')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('line_items as li')
          .select([
            sql<string>`coalesce(sum(${LINE_NET}), 0)`.as('net'),
            sql<string>`coalesce(sum(${LINE_MAINTENANCE}), 0)`.as('maintenance'),
          ])
          .whereRef('li.tenant_id', '=', 'c.tenant_id')
          .whereRef('li.contract_id', '=', 'c.id')
          .as('t'),
      (join) => join.onTrue(),
    )
    .select([
      'c.currency',
      sql<number>`count(*)::int`.as('contracts'),
      sql<string>`round(sum(t.net), 4)`.as('net'),
      sql<string>`round(sum(t.maintenance), 4)`.as('annual_maintenance'),
    ])
    .where('c.vendor_id', '=', vendorId)
    .where('c.kind', '=', 'contract')
    .where('c.status', '=', 'active')
    .where('c.archived_at', 'is', null)
    .groupBy('c.currency')
    .orderBy('c.currency')
    .execute();
}

/**
 * Of the given contracts, those the caller can see, with their titles: row-level security decides. Used
 * where a SECURITY DEFINER function named contracts seen whole, so hidden titles never reach an answer.
 */
export function visibleContractTitles(tx: Tx, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return tx
    .selectFrom('contracts')
    .select(['id', 'title'])
    .where('id', '=', sql<string>`any(${ids}::uuid[])`)
    .orderBy('title')
    .orderBy('id')
    .execute();
}
