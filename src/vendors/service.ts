import type { Selectable } from 'kysely';
import { isForeignKeyViolation, refusingDuplicates } from '../db/errors.js';
import type { LicenceMetric, VendorsTable } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import * as queries from './queries.js';

type VendorRow = Selectable<VendorsTable>;

export function vendorView(row: VendorRow) {
  return {
    id: row.id,
    name: row.name,
    website: row.website,
    notes: row.notes,
    aliases: row.aliases,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const nameTaken = () => new ProblemError(409, 'name_taken', 'A vendor with this name exists already.');

const withUniqueName = <T>(write: () => Promise<T>) => refusingDuplicates(write, nameTaken);

export async function listVendors(tx: Tx, query: { q?: string; limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50;
  const rows = await queries.listVendors(tx, { q: query.q?.trim() || undefined, after: decodeCursor(query.cursor), limit });
  const result = page(rows, limit, (row) => ({ key: row.name.toLowerCase(), id: row.id }));
  return { items: result.items.map(vendorView), nextCursor: result.nextCursor };
}

export async function getVendor(tx: Tx, id: string) {
  const row = await queries.findVendor(tx, id);
  if (!row) throw notFound();
  return vendorView(row);
}

export async function createVendor(tx: Tx, input: { name: string; website?: string | null; notes?: string | null; aliases?: string[] }) {
  const row = await withUniqueName(() =>
    queries.insertVendor(tx, {
      name: input.name.trim(),
      website: input.website ?? null,
      notes: input.notes ?? null,
      aliases: input.aliases ?? [],
    }),
  );
  return vendorView(row);
}

export async function updateVendor(
  tx: Tx,
  id: string,
  patch: { name?: string; website?: string | null; notes?: string | null; aliases?: string[] },
) {
  const row = await withUniqueName(() => queries.updateVendor(tx, id, { ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) }));
  if (!row) throw notFound();
  return vendorView(row);
}

/** A vendor with products or contracts stays: its history would otherwise lose its name. */
export async function deleteVendor(tx: Tx, id: string) {
  try {
    if (!(await queries.deleteVendor(tx, id))) throw notFound();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new ProblemError(409, 'vendor_in_use', 'This vendor still has products or contracts.');
    throw error;
  }
}

export async function metricDefinitions(tx: Tx, vendorId: string) {
  if (!(await queries.findVendor(tx, vendorId))) throw notFound();
  return { items: await queries.listMetricDefinitions(tx, vendorId) };
}

export async function replaceMetricDefinitions(tx: Tx, vendorId: string, items: Array<{ metric: LicenceMetric; definition: string }>) {
  if (!(await queries.findVendor(tx, vendorId))) throw notFound();
  const metrics = items.map((item) => item.metric);
  if (new Set(metrics).size !== metrics.length) {
    throw new ProblemError(400, 'validation_failed', 'Each metric may be defined once.', {
      errors: [{ path: 'body:/items', message: 'has a metric twice' }],
    });
  }
  await queries.replaceMetricDefinitions(tx, vendorId, items);
  return { items: await queries.listMetricDefinitions(tx, vendorId) };
}
