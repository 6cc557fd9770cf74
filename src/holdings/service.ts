import { todayUtc } from '../deadlines/dates.js';
import type { Tx } from '../db/tenant-context.js';
import { notFound } from '../http/problem.js';
import { findProduct } from '../products/queries.js';
import * as queries from './queries.js';

/**
 * Consolidated holdings per product. `quantity` is the sum over contracts in force (see
 * queries.listHoldings); `blocks` is how many of the vendor's licence blocks (the product's block size)
 * are needed to cover it, rounded up — 30 users in blocks of 25 are 2 blocks. Pending proposals are listed
 * with their quantities but are not part of either number.
 */
export async function listHoldings(tx: Tx, query: { vendorId?: string }, today: string = todayUtc()) {
  const rows = await queries.listHoldings(tx, { today, vendorId: query.vendorId });
  return rows.map((row) => ({
    product: { id: row.product_id, name: row.product_name, sku: row.sku },
    vendor: { id: row.vendor_id, name: row.vendor_name },
    metric: row.metric,
    blockSize: row.block_size,
    quantity: Number(row.quantity),
    blocks: Number(row.blocks),
    contracts: row.contracts.map(({ id, title, quantity }) => ({ id, title, quantity: Number(quantity) })),
    pendingProposals: row.proposals.map(({ id, title, quantity }) => ({ id, title, quantity: Number(quantity) })),
  }));
}

/**
 * Net unit price of a product per transaction over time: date = signed date, else start date. Proposals
 * are included and recognisable by kind and status. A product the caller cannot see is 404, like one
 * that does not exist; rows of contracts the caller cannot see are simply absent. Prices leave as
 * PostgreSQL renders numeric(19, 4) ("1234.5000"), like every other money field of the API.
 */
export async function priceHistory(tx: Tx, productId: string) {
  if (!(await findProduct(tx, productId))) throw notFound();
  const rows = await queries.listPriceHistory(tx, productId);
  return rows.map((row) => ({
    contractId: row.contract_id,
    title: row.title,
    kind: row.kind,
    status: row.status,
    date: row.date,
    lineItemId: row.line_item_id,
    quantity: row.quantity,
    listUnitPrice: row.list_unit_price,
    netUnitPrice: row.net_unit_price,
    currency: row.currency,
  }));
}
