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

/** What a list filters by; `pattern` is an ILIKE pattern. */
interface ContractFilterValues extends Record<string, unknown> {
  vendorId?: string;
  kind?: ContractKind;
  status?: ContractStatus;
  pattern?: string;
}

/** A page of the list: the filters, where the page starts, and `limit`, the number of rows to fetch. */
interface ContractListValues extends ContractFilterValues {
  afterKey?: string;
  afterId?: string;
  limit: number;
}

type ContractViews = ReturnType<typeof contractViews>;

/**
 * The WHERE of the contract list. The list and its totals (GET /api/v1/contract-totals) both apply it, so
 * a total always covers exactly the contracts the list would show with the same filters.
 */
function filterContracts(query: ContractViews, values: ContractFilterValues): ContractViews {
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
  return query;
}

function filterValues(filter: ContractFilter): ContractFilterValues {
  return {
    vendorId: filter.vendorId,
    kind: filter.kind,
    status: filter.status,
    pattern: filter.q ? `%${escapeLike(filter.q)}%` : undefined,
  };
}

/** Built once per combination of filters: the list is the hottest query of the API (src/db/query-shapes.ts). */
const contractList = queryShape((tx: Tx, values: ContractListValues) => {
  let query = filterContracts(contractViews(tx), values);
  if (values.afterKey !== undefined && values.afterId !== undefined) {
    query = query.where(sql<boolean>`(c.created_at, c.id) < (${values.afterKey}::timestamptz, ${values.afterId}::uuid)`);
  }
  return query.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(values.limit);
});

/** Newest first by creation time, then id: a stable keyset order that the listing index serves. */
export function listContractViews(tx: Tx, options: ContractFilter & { after: Cursor | null; limit: number }) {
  return contractList(tx, {
    ...filterValues(options),
    afterKey: options.after?.key,
    afterId: options.after?.id,
    limit: options.limit + 1,
  });
}

/**
 * The list's contracts summed per currency: each contract's `totals.net` (see contractViews), added up in
 * numeric, never across currencies. One row per currency, by currency code.
 */
const contractTotals = queryShape((tx: Tx, values: ContractFilterValues) =>
  tx
    .selectFrom(filterContracts(contractViews(tx), values).as('f'))
    .select(['f.currency', sql<string>`round(sum(f.net), 4)`.as('total'), sql<number>`count(*)::int`.as('count')])
    .groupBy('f.currency')
    .orderBy('f.currency'),
);

export function contractTotalsByCurrency(tx: Tx, filter: ContractFilter) {
  return contractTotals(tx, filterValues(filter));
}

/**
 * What the active contracts come to per vendor, in each currency apart: the sum of their `totals.net`, as
 * the list shows it. Of each currency its `perCurrency` largest vendors, currencies with the most active
 * contracts first; at most `entries` rows in all.
 */
export function activeSpendByVendor(tx: Tx, limits: { perCurrency: number; entries: number }) {
  const perVendor = tx
    .selectFrom(filterContracts(contractViews(tx), { kind: 'contract', status: 'active' }).as('f'))
    .select([
      'f.vendor_id',
      'f.vendor_name',
      'f.currency',
      sql<string>`round(sum(f.net), 4)`.as('total'),
      sql<number>`count(*)::int`.as('contracts'),
      sql<number>`row_number() OVER (PARTITION BY f.currency ORDER BY sum(f.net) DESC, lower(f.vendor_name), f.vendor_id)`.as(
        'vendor_rank',
      ),
      sql<string>`sum(count(*)) OVER (PARTITION BY f.currency)`.as('currency_contracts'),
    ])
    .groupBy(['f.currency', 'f.vendor_id', 'f.vendor_name']);
  return tx
    .selectFrom(perVendor.as('s'))
    .select(['s.vendor_id', 's.vendor_name', 's.currency', 's.total', 's.contracts'])
    .where('s.vendor_rank', '<=', limits.perCurrency)
    .orderBy('s.currency_contracts', 'desc')
    .orderBy('s.currency')
    .orderBy('s.vendor_rank')
    .limit(limits.entries)
    .execute();
}

/** Live contracts by id, oldest first; invisible and archived ones are simply absent. */
export function listContractViewsByIds(tx: Tx, ids: string[]) {
  return contractViews(tx)
    .where('c.id', '=', sql<string>`any(${ids}::uuid[])`)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
}

/** One step of a version chain: `step` < 0 for what the contract supersedes (-1 its predecessor), > 0 for what supersedes it. */
export interface VersionLink {
  id: string;
  step: number;
}

/**
 * The ids around a contract along supersedes_id: up the chain it supersedes and down the versions and
 * renewals that supersede it, breadth first, at most `eachWay + 1` each way (one more than asked, so the
 * caller knows there were more). Archived versions are walked through but, like everything here, only
 * what the caller can see: row-level security applies inside the recursion, so the walk stops at a
 * contract the caller may not see and never reports what lies behind it.
 */
export async function listVersionLinks(tx: Tx, id: string, eachWay: number): Promise<VersionLink[]> {
  const { rows } = await sql<VersionLink>`
    WITH RECURSIVE earlier AS (
      SELECT c.tenant_id, c.id, c.supersedes_id, 0 AS hops FROM contracts c WHERE c.id = ${id}::uuid
      UNION ALL
      SELECT c.tenant_id, c.id, c.supersedes_id, e.hops + 1
        FROM earlier e JOIN contracts c ON c.tenant_id = e.tenant_id AND c.id = e.supersedes_id
       WHERE e.hops <= ${eachWay}
    ), later AS (
      SELECT c.tenant_id, c.id, 0 AS hops FROM contracts c WHERE c.id = ${id}::uuid
      UNION ALL
      SELECT c.tenant_id, c.id, l.hops + 1
        FROM later l JOIN contracts c ON c.tenant_id = l.tenant_id AND c.supersedes_id = l.id
       WHERE l.hops <= ${eachWay}
    )
    (SELECT id, -hops AS step FROM earlier WHERE hops > 0 LIMIT ${eachWay + 1})
    UNION ALL
    (SELECT id, hops AS step FROM later WHERE hops > 0 LIMIT ${eachWay + 1})`.execute(tx);
  return rows.map((row) => ({ id: row.id, step: Number(row.step) }));
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
