import { sql } from 'kysely';
import type { LicenceMetric } from '../db/schema.js';
import { escapeLike } from '../db/like-pattern.js';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';

export function listVendors(tx: Tx, options: { q?: string; after: Cursor | null; limit: number }) {
  let query = tx.selectFrom('vendors').selectAll();
  if (options.q) {
    const pattern = `%${escapeLike(options.q)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), sql<boolean>`array_to_string(aliases, ' ') ILIKE ${pattern}`]));
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

export function findVendor(tx: Tx, id: string) {
  return tx.selectFrom('vendors').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertVendor(tx: Tx, vendor: { name: string; website: string | null; notes: string | null; aliases: string[] }) {
  return tx.insertInto('vendors').values(vendor).returningAll().executeTakeFirstOrThrow();
}

export function updateVendor(
  tx: Tx,
  id: string,
  patch: Partial<{ name: string; website: string | null; notes: string | null; aliases: string[] }>,
) {
  return tx
    .updateTable('vendors')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteVendor(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('vendors').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export function listMetricDefinitions(tx: Tx, vendorId: string) {
  return tx.selectFrom('vendor_metrics').select(['metric', 'definition']).where('vendor_id', '=', vendorId).orderBy('metric').execute();
}

export async function replaceMetricDefinitions(tx: Tx, vendorId: string, items: Array<{ metric: LicenceMetric; definition: string }>) {
  await tx.deleteFrom('vendor_metrics').where('vendor_id', '=', vendorId).execute();
  if (items.length > 0) {
    await tx
      .insertInto('vendor_metrics')
      .values(items.map((item) => ({ vendor_id: vendorId, ...item })))
      .execute();
  }
}
