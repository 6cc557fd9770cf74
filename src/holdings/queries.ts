import { sql } from 'kysely';
import type { LicenceMetric } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';

/** bigint sums arrive as strings from node-postgres and as bigint or number from PGlite. */
type BigCount = string | number | bigint;

export interface HoldingRow {
  product_id: string;
  product_name: string;
  sku: string | null;
  metric: LicenceMetric;
  block_size: number;
  vendor_id: string;
  vendor_name: string;
  quantity: BigCount;
  blocks: BigCount;
  contracts: Array<{ id: string; title: string; quantity: number }>;
  proposals: Array<{ id: string; title: string; quantity: number }>;
}

/**
 * Whether the contract `c` is in force on `today`, so that its line items count as held: kind contract,
 * status active, started, and not ended — no end date, an end date today or later, or auto-renewal (an
 * auto-renewing contract still active past its first end date has renewed). Shared by the holdings list
 * and the dashboard's count of held products, so both hold the same licences.
 */
export function contractInForce(today: string) {
  return sql<boolean>`(c.kind = 'contract' AND c.status = 'active' AND c.starts_on <= ${today}::date
               AND (c.ends_on IS NULL OR c.ends_on >= ${today}::date OR c.auto_renew))`;
}

/**
 * Licences held per product, summed in SQL. A contract counts when it is in force on `today`: kind
 * contract, status active, not archived, started, and not ended — no end date, an end date today or
 * later, or auto-renewal (an auto-renewing contract still active past its first end date has renewed).
 * Pending proposals are aggregated beside the holdings, never into them. Row-level security limits
 * every table read here to what the caller may see, so a restricted contract adds nothing for outsiders.
 */
export async function listHoldings(
  tx: Tx,
  options: { today: string; vendorId?: string; after: HoldingAnchor | null; limit: number },
): Promise<HoldingRow[]> {
  const vendorFilter = options.vendorId ? sql`AND p.vendor_id = ${options.vendorId}::uuid` : sql``;
  const after = options.after;
  const pageFilter = after
    ? sql`AND (lower(v.name), v.id, lower(p.name), p.id) > (${after.vendorName}, ${after.vendorId}::uuid, ${after.productName}, ${after.productId}::uuid)`
    : sql``;
  const { rows } = await sql<HoldingRow>`
    WITH per_contract AS (
      SELECT li.tenant_id, li.product_id, c.id AS contract_id, c.title, c.kind, sum(li.quantity) AS quantity
        FROM line_items li
        JOIN contracts c ON c.tenant_id = li.tenant_id AND c.id = li.contract_id
       WHERE c.archived_at IS NULL
         AND (${contractInForce(options.today)}
           OR (c.kind = 'proposal' AND c.status = 'pending'))
       GROUP BY li.tenant_id, li.product_id, c.id, c.title, c.kind
    ), per_product AS (
      SELECT pc.tenant_id, pc.product_id,
             coalesce(sum(pc.quantity) FILTER (WHERE pc.kind = 'contract'), 0) AS quantity,
             coalesce(json_agg(json_build_object('id', pc.contract_id, 'title', pc.title, 'quantity', pc.quantity)
                               ORDER BY lower(pc.title), pc.contract_id) FILTER (WHERE pc.kind = 'contract'), '[]') AS contracts,
             coalesce(json_agg(json_build_object('id', pc.contract_id, 'title', pc.title, 'quantity', pc.quantity)
                               ORDER BY lower(pc.title), pc.contract_id) FILTER (WHERE pc.kind = 'proposal'), '[]') AS proposals
        FROM per_contract pc
       GROUP BY pc.tenant_id, pc.product_id
    )
    SELECT p.id AS product_id, p.name AS product_name, p.sku, p.metric, p.block_size,
           v.id AS vendor_id, v.name AS vendor_name,
           pp.quantity, ceil(pp.quantity::numeric / p.block_size)::bigint AS blocks,
           pp.contracts, pp.proposals
      FROM per_product pp
      JOIN products p ON p.tenant_id = pp.tenant_id AND p.id = pp.product_id
      JOIN vendors v ON v.tenant_id = p.tenant_id AND v.id = p.vendor_id
     WHERE true ${vendorFilter} ${pageFilter}
     ORDER BY lower(v.name), v.id, lower(p.name), p.id
     LIMIT ${options.limit}`.execute(tx);
  return rows;
}

/** The sort key of the product a page of holdings continues after (lower-cased names, as sorted). */
export interface HoldingAnchor {
  vendorName: string;
  vendorId: string;
  productName: string;
  productId: string;
}

/**
 * A cursor names only the last product; its names are looked up again, so a cursor stays short whatever
 * the names' length. Undefined when the caller cannot see that product (any more).
 */
export async function findHoldingAnchor(tx: Tx, productId: string): Promise<HoldingAnchor | undefined> {
  const { rows } = await sql<HoldingAnchor>`
    SELECT lower(v.name) AS "vendorName", v.id AS "vendorId", lower(p.name) AS "productName", p.id AS "productId"
      FROM products p
      JOIN vendors v ON v.tenant_id = p.tenant_id AND v.id = p.vendor_id
     WHERE p.id = ${productId}::uuid`.execute(tx);
  return rows[0];
}

/** Where a page of price history starts: after this row in (date, contract id, position) order. */
export interface PricePointKey {
  date: string;
  contractId: string;
  position: number;
}

/**
 * One page of line items for the product on contracts or proposals the caller can see, oldest transaction
 * first: `limit` rows after `after`. A product bought in 100k line items is read a page at a time, so an
 * answer never grows with the tenant's data.
 */
export function listPriceHistory(tx: Tx, productId: string, page: { after: PricePointKey | null; limit: number }) {
  const date = sql<string>`coalesce(c.signed_on, c.starts_on)`;
  const after = page.after;
  return tx
    .selectFrom('line_items as li')
    .innerJoin('contracts as c', (join) => join.onRef('c.tenant_id', '=', 'li.tenant_id').onRef('c.id', '=', 'li.contract_id'))
    .select([
      'c.id as contract_id',
      'c.title',
      'c.kind',
      'c.status',
      date.as('date'),
      'li.id as line_item_id',
      'li.position',
      'li.quantity',
      'li.list_unit_price',
      'li.net_unit_price',
      'c.currency',
    ])
    .where('li.product_id', '=', productId)
    .where('c.archived_at', 'is', null)
    .$if(after !== null, (query) =>
      query.where(
        sql<boolean>`(${date}, c.id, li.position) > (${after!.date}::date, ${after!.contractId}::uuid, ${after!.position}::integer)`,
      ),
    )
    .orderBy('date')
    .orderBy('c.id')
    .orderBy('li.position')
    .limit(page.limit)
    .execute();
}
