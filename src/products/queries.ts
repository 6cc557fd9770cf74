import { sql } from 'kysely';
import type { LicenceMetric } from '../db/schema.js';
import { escapeLike } from '../db/like-pattern.js';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';

export function listProducts(tx: Tx, options: { vendorId?: string; q?: string; after: Cursor | null; limit: number }) {
  let query = tx.selectFrom('products').selectAll();
  if (options.vendorId) query = query.where('vendor_id', '=', options.vendorId);
  if (options.q) {
    const pattern = `%${escapeLike(options.q)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('sku', 'ilike', pattern)]));
  }
  if (options.after) {
    const after = options.after;
    query = query.where((eb) =>
      eb.or([eb(sql`lower(name)`, '>', after.key), eb.and([eb(sql`lower(name)`, '=', after.key), eb('id', '>', after.id)])]),
    );
  }
  return query
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .limit(options.limit + 1)
    .execute();
}

export function findProduct(tx: Tx, id: string) {
  return tx.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertProduct(
  tx: Tx,
  product: { vendor_id: string; name: string; sku: string | null; metric: LicenceMetric; block_size: number },
) {
  return tx.insertInto('products').values(product).returningAll().executeTakeFirstOrThrow();
}

export function updateProduct(
  tx: Tx,
  id: string,
  patch: Partial<{ name: string; sku: string | null; metric: LicenceMetric; block_size: number }>,
) {
  return tx
    .updateTable('products')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteProduct(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('products').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
