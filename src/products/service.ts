import type { Selectable } from 'kysely';
import { isForeignKeyViolation, refusingDuplicates } from '../db/errors.js';
import type { LicenceMetric, ProductsTable } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import { findVendor } from '../vendors/queries.js';
import * as queries from './queries.js';

export function productView(row: Selectable<ProductsTable>) {
  return {
    id: row.id,
    vendorId: row.vendor_id,
    name: row.name,
    sku: row.sku,
    metric: row.metric,
    blockSize: row.block_size,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const withUniqueName = <T>(write: () => Promise<T>) =>
  refusingDuplicates(write, () => new ProblemError(409, 'name_taken', 'This vendor has a product with this name already.'));

export async function listProducts(tx: Tx, query: { vendorId?: string; q?: string; limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50;
  const rows = await queries.listProducts(tx, {
    vendorId: query.vendorId,
    q: query.q?.trim() || undefined,
    after: decodeCursor(query.cursor),
    limit,
  });
  const result = page(rows, limit, (row) => ({ key: row.name.toLowerCase(), id: row.id }));
  return { items: result.items.map(productView), nextCursor: result.nextCursor };
}

export async function getProduct(tx: Tx, id: string) {
  const row = await queries.findProduct(tx, id);
  if (!row) throw notFound();
  return productView(row);
}

/** A vendor id the caller cannot see is reported like any other missing field value, not as a 404 leak. */
export async function createProduct(
  tx: Tx,
  input: { vendorId: string; name: string; sku?: string | null; metric: LicenceMetric; blockSize?: number },
) {
  if (!(await findVendor(tx, input.vendorId))) {
    throw new ProblemError(400, 'validation_failed', 'The vendor does not exist.', {
      errors: [{ path: 'body:/vendorId', message: 'is not a known vendor' }],
    });
  }
  const row = await withUniqueName(() =>
    queries.insertProduct(tx, {
      vendor_id: input.vendorId,
      name: input.name.trim(),
      sku: input.sku ?? null,
      metric: input.metric,
      block_size: input.blockSize ?? 1,
    }),
  );
  return productView(row);
}

export async function updateProduct(
  tx: Tx,
  id: string,
  patch: { name?: string; sku?: string | null; metric?: LicenceMetric; blockSize?: number },
) {
  const { blockSize, ...rest } = patch;
  const row = await withUniqueName(() =>
    queries.updateProduct(tx, id, { ...rest, ...(blockSize === undefined ? {} : { block_size: blockSize }) }),
  );
  if (!row) throw notFound();
  return productView(row);
}

export async function deleteProduct(tx: Tx, id: string) {
  try {
    if (!(await queries.deleteProduct(tx, id))) throw notFound();
  } catch (error) {
    if (isForeignKeyViolation(error))
      throw new ProblemError(409, 'product_in_use', 'This product is on line items of contracts or proposals.');
    throw error;
  }
}
