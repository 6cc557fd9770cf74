import { todayUtc } from '../deadlines/dates.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, invalidCursor, page, type Cursor } from '../http/pagination.js';
import { notFound } from '../http/problem.js';
import { findProduct } from '../products/queries.js';
import * as queries from './queries.js';

/**
 * Consolidated holdings per product. `quantity` is the sum over contracts in force (see
 * queries.listHoldings); `blocks` is how many of the vendor's licence blocks (the product's block size)
 * are needed to cover it, rounded up — 30 users in blocks of 25 are 2 blocks. Pending proposals are listed
 * with their quantities but are not part of either number.
 *
 * Paged per product in the list convention (API.md), sorted by vendor and product name: one line per
 * product is already the aggregate users read, but a tenant may hold thousands of products.
 */
export async function listHoldings(tx: Tx, query: { vendorId?: string; limit?: number; cursor?: string }, today: string = todayUtc()) {
  const limit = query.limit ?? 50;
  const rows = await queries.listHoldings(tx, {
    today,
    vendorId: query.vendorId,
    after: await holdingAnchor(tx, decodeCursor(query.cursor)),
    limit: limit + 1,
  });
  const result = page(rows, limit, (row) => ({ key: row.vendor_id, id: row.product_id }));
  return { items: result.items.map(holdingView), nextCursor: result.nextCursor };
}

/** A cursor whose product the caller cannot see (any more) cannot say where to go on. */
async function holdingAnchor(tx: Tx, cursor: Cursor | null) {
  if (!cursor) return null;
  const anchor = await queries.findHoldingAnchor(tx, cursor.id);
  if (!anchor) throw invalidCursor();
  return anchor;
}

function holdingView(row: queries.HoldingRow) {
  return {
    product: { id: row.product_id, name: row.product_name, sku: row.sku },
    vendor: { id: row.vendor_id, name: row.vendor_name },
    metric: row.metric,
    blockSize: row.block_size,
    quantity: Number(row.quantity),
    blocks: Number(row.blocks),
    contracts: row.contracts.map(({ id, title, quantity }) => ({ id, title, quantity: Number(quantity) })),
    pendingProposals: row.proposals.map(({ id, title, quantity }) => ({ id, title, quantity: Number(quantity) })),
  };
}

/**
 * Net unit price of a product per transaction over time: date = signed date, else start date. Proposals
 * are included and recognisable by kind and status. A product the caller cannot see is 404, like one
 * that does not exist; rows of contracts the caller cannot see are simply absent. Prices leave as
 * PostgreSQL renders numeric(19, 4) ("1234.5000"), like every other money field of the API.
 *
 * Paged like every list (API.md): a product can sit in any number of line items, and the whole history in
 * one answer once came to 27.7 MB for 100k items. Pages rather than aggregates, because a chart or a table
 * of what was paid when needs the points themselves; a client that wants all of them walks the cursor.
 */
export async function priceHistory(tx: Tx, productId: string, query: { limit?: number; cursor?: string }) {
  if (!(await findProduct(tx, productId))) throw notFound();
  const limit = query.limit ?? 50;
  const rows = await queries.listPriceHistory(tx, productId, { after: pricePointKey(decodeCursor(query.cursor)), limit: limit + 1 });
  const result = page(rows, limit, (row) => ({ key: `${row.date}/${row.position}`, id: row.contract_id }));
  return {
    items: result.items.map((row) => ({
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
    })),
    nextCursor: result.nextCursor,
  };
}

/** The cursor's key is "date/position" of the last row, its id that row's contract. */
function pricePointKey(cursor: Cursor | null): queries.PricePointKey | null {
  if (!cursor) return null;
  const match = /^(\d{4}-\d{2}-\d{2})\/(\d{1,9})$/.exec(cursor.key);
  if (!match) throw invalidCursor();
  return { date: match[1]!, contractId: cursor.id, position: Number(match[2]) };
}
