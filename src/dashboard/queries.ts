import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';
import { contractInForce } from '../holdings/queries.js';

export interface DashboardCounts {
  contracts: number;
  pending_proposals: number;
  vendors: number;
  products: number;
  holdings: number;
}

/**
 * The dashboard's counts in one statement. Row-level security limits every table to the caller's
 * tenant, and contracts and line items to what the caller may see, so a restricted contract counts only
 * for those who can open it. `contracts` and `pending_proposals` are what GET /api/v1/contracts lists with
 * kind=contract&status=active and kind=proposal&status=pending; `holdings` the products of
 * GET /api/v1/licenses whose quantity held is above zero (quantities are never negative, so one line item
 * with a quantity in a contract in force is enough).
 */
export async function countDashboard(tx: Tx, today: string): Promise<DashboardCounts> {
  const { rows } = await sql<DashboardCounts>`
    SELECT
      (SELECT count(*) FROM contracts c
        WHERE c.kind = 'contract' AND c.status = 'active' AND c.archived_at IS NULL)::int AS contracts,
      (SELECT count(*) FROM contracts c
        WHERE c.kind = 'proposal' AND c.status = 'pending' AND c.archived_at IS NULL)::int AS pending_proposals,
      (SELECT count(*) FROM vendors)::int AS vendors,
      (SELECT count(*) FROM products)::int AS products,
      (SELECT count(DISTINCT li.product_id)
         FROM line_items li
         JOIN contracts c ON c.tenant_id = li.tenant_id AND c.id = li.contract_id
        WHERE c.archived_at IS NULL AND li.quantity > 0 AND ${contractInForce(today)})::int AS holdings`.execute(tx);
  return rows[0]!;
}
