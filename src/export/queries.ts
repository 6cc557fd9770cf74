import { sql } from 'kysely';
import type { ContractKind } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';

/**
 * The export's reads: every sheet is read in pages in one key order, so the workbook is written while the
 * rows arrive and no sheet is ever held whole. Nothing here filters by tenant or group: row-level security
 * decides what the caller sees (a restricted contract, its line items and its documents are simply absent
 * for a member outside its groups). All pages run in the export's one REPEATABLE READ transaction, so the
 * sheets agree with each other (no line item of a contract created between two pages).
 */

/** Rows per page: large enough that round trips do not dominate, small enough to bound memory. */
export const EXPORT_PAGE_SIZE = 2_000;

export function vendorsPage(tx: Tx, afterId: string | null) {
  let query = tx.selectFrom('vendors').select(['id', 'name', 'website', 'notes', 'aliases', 'created_at', 'updated_at']);
  if (afterId) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(EXPORT_PAGE_SIZE).execute();
}

export function metricDefinitionsPage(tx: Tx, after: { vendorId: string; metric: string } | null) {
  let query = tx
    .selectFrom('vendor_metrics as m')
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'm.tenant_id').onRef('v.id', '=', 'm.vendor_id'))
    .select(['m.vendor_id', 'v.name as vendor_name', 'm.metric', 'm.definition']);
  if (after) query = query.where(sql<boolean>`(m.vendor_id, m.metric::text) > (${after.vendorId}::uuid, ${after.metric})`);
  return query
    .orderBy('m.vendor_id')
    .orderBy(sql`m.metric::text`)
    .limit(EXPORT_PAGE_SIZE)
    .execute();
}

export function productsPage(tx: Tx, afterId: string | null) {
  let query = tx
    .selectFrom('products as p')
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'p.tenant_id').onRef('v.id', '=', 'p.vendor_id'))
    .select([
      'p.id',
      'p.vendor_id',
      'v.name as vendor_name',
      'p.name',
      'p.sku',
      'p.metric',
      'p.block_size',
      'p.created_at',
      'p.updated_at',
    ]);
  if (afterId) query = query.where('p.id', '>', afterId);
  return query.orderBy('p.id').limit(EXPORT_PAGE_SIZE).execute();
}

/** Live contracts (or proposals) with vendor name, manager e-mail, groups and totals, as the API computes them. */
export function contractsPage(tx: Tx, kind: ContractKind, afterId: string | null) {
  let query = tx
    .selectFrom('contracts as c')
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'c.tenant_id').onRef('v.id', '=', 'c.vendor_id'))
    .leftJoin('users as u', (join) => join.onRef('u.tenant_id', '=', 'c.tenant_id').onRef('u.id', '=', 'c.manager_id'))
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('line_items as li')
          .select([
            sql<string>`round(coalesce(sum(li.quantity * li.net_unit_price), 0), 4)`.as('net'),
            sql<string>`round(coalesce(sum(li.quantity * li.net_unit_price * coalesce(li.maintenance_percent, 0) * 0.01), 0), 4)`.as(
              'annual_maintenance',
            ),
          ])
          .whereRef('li.tenant_id', '=', 'c.tenant_id')
          .whereRef('li.contract_id', '=', 'c.id')
          .as('t'),
      (join) => join.onTrue(),
    )
    .select([
      'c.id',
      'c.vendor_id',
      'v.name as vendor_name',
      'c.reference',
      'c.title',
      'c.status',
      'c.signed_on',
      'c.starts_on',
      'c.ends_on',
      'c.notice_period_days',
      'c.auto_renew',
      'c.renewal_term_months',
      'c.currency',
      't.net',
      't.annual_maintenance',
      'u.email as manager_email',
      sql<string[]>`CASE WHEN c.restricted THEN pactum_contract_group_ids(c.tenant_id, c.id) ELSE '{}'::text[] END`.as('group_ids'),
      'c.supersedes_id',
      'c.terms',
      'c.created_at',
      'c.updated_at',
    ])
    .where('c.kind', '=', kind)
    .where('c.archived_at', 'is', null);
  if (afterId) query = query.where('c.id', '>', afterId);
  return query.orderBy('c.id').limit(EXPORT_PAGE_SIZE).execute();
}

/** Line items of live contracts and proposals, grouped by contract in position order. */
export function lineItemsPage(tx: Tx, after: { contractId: string; position: number } | null) {
  let query = tx
    .selectFrom('line_items as li')
    .innerJoin('contracts as c', (join) => join.onRef('c.tenant_id', '=', 'li.tenant_id').onRef('c.id', '=', 'li.contract_id'))
    .innerJoin('products as p', (join) => join.onRef('p.tenant_id', '=', 'li.tenant_id').onRef('p.id', '=', 'li.product_id'))
    .select([
      'li.id',
      'li.contract_id',
      'c.title as contract_title',
      'li.position',
      'li.product_id',
      'p.name as product_name',
      'li.quantity',
      'li.block_size',
      'li.list_unit_price',
      'li.discount_percent',
      'li.net_unit_price',
      'li.maintenance_percent',
      'c.currency',
      'li.terms',
    ])
    .where('c.archived_at', 'is', null);
  if (after) query = query.where(sql<boolean>`(li.contract_id, li.position) > (${after.contractId}::uuid, ${after.position})`);
  return query.orderBy('li.contract_id').orderBy('li.position').limit(EXPORT_PAGE_SIZE).execute();
}

/** Running contracts with an end date: the candidates of the Deadlines sheet (dates are computed in code). */
export function deadlineCandidatesPage(tx: Tx, afterId: string | null) {
  let query = tx
    .selectFrom('contracts as c')
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'c.tenant_id').onRef('v.id', '=', 'c.vendor_id'))
    .select(['c.id', 'c.title', 'v.name as vendor_name', 'c.ends_on', 'c.notice_period_days', 'c.auto_renew', 'c.renewal_term_months'])
    .$narrowType<{ ends_on: string }>()
    .where('c.kind', '=', 'contract')
    .where('c.status', '=', 'active')
    .where('c.archived_at', 'is', null)
    .where('c.ends_on', 'is not', null);
  if (afterId) query = query.where('c.id', '>', afterId);
  return query.orderBy('c.id').limit(EXPORT_PAGE_SIZE).execute();
}

/** Document metadata (never the bytes) of live contracts. */
export function documentsPage(tx: Tx, afterId: string | null) {
  let query = tx
    .selectFrom('documents as d')
    .innerJoin('contracts as c', (join) => join.onRef('c.tenant_id', '=', 'd.tenant_id').onRef('c.id', '=', 'd.contract_id'))
    .select([
      'd.id',
      'd.contract_id',
      'c.title as contract_title',
      'd.filename',
      'd.content_type',
      'd.size_bytes',
      'd.sha256',
      'd.created_at',
    ])
    .where('c.archived_at', 'is', null);
  if (afterId) query = query.where('d.id', '>', afterId);
  return query.orderBy('d.id').limit(EXPORT_PAGE_SIZE).execute();
}

/** The tenant's name, for the file name. */
export async function tenantName(tx: Tx): Promise<string> {
  const row = await tx.selectFrom('tenants').select('name').executeTakeFirst();
  return row?.name ?? 'export';
}

/**
 * How many stored records the workbook will hold (contracts, proposals, line items, vendors, products,
 * metric definitions and documents; the derived Holdings and Deadlines sheets are not counted): what a
 * client shows progress against. Counted as the caller sees them (row-level security).
 */
export async function recordCount(tx: Tx): Promise<number> {
  const { rows } = await sql<{ total: string | number }>`
    SELECT (SELECT count(*) FROM contracts WHERE archived_at IS NULL)
         + (SELECT count(*) FROM line_items li JOIN contracts c ON c.tenant_id = li.tenant_id AND c.id = li.contract_id
             WHERE c.archived_at IS NULL)
         + (SELECT count(*) FROM vendors) + (SELECT count(*) FROM products) + (SELECT count(*) FROM vendor_metrics)
         + (SELECT count(*) FROM documents d JOIN contracts c ON c.tenant_id = d.tenant_id AND c.id = d.contract_id
             WHERE c.archived_at IS NULL) AS total`.execute(tx);
  return Number(rows[0]?.total ?? 0);
}
