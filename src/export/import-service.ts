import type { TSchema } from '@sinclair/typebox';
import { sql } from 'kysely';
import { recordAudit, type AuditContext } from '../audit/record.js';
import * as contracts from '../contracts/service.js';
import { ContractInput, ContractPatch } from '../contracts/schemas.js';
import type { LicenceMetric } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import { validatorCompiler, fieldErrors } from '../http/validation.js';
import type { Actor } from '../identity/actor.js';
import * as products from '../products/service.js';
import { ProductInput } from '../products/schemas.js';
import { findProduct } from '../products/queries.js';
import * as vendors from '../vendors/service.js';
import { MetricDefinitions, VendorInput } from '../vendors/schemas.js';
import { findVendor, listMetricDefinitions } from '../vendors/queries.js';
import type { ImportError, ImportRow } from './import-file.js';
import { type CellKind, type SheetLayout, sheetLayout } from './layout.js';

/**
 * Applying rows of the workbook's layout through the API's own services, so an import obeys exactly the
 * rules a client of the API meets (schemas, references the caller can see, proposal lifecycle, who may set
 * access groups). Everything runs in the caller's one transaction, each row behind a savepoint so one
 * failing row is reported and the next still checked; the caller rolls everything back when any row
 * failed or when it was a dry run.
 *
 * Identity: a row whose id names an existing record the caller can see updates it (only the fields that
 * differ, so a re-imported export changes nothing); any other id — empty, a foreign company's, or a key
 * such as "v1" — creates a record, and other rows of the file reach it by that id (vendor → product →
 * contract → line item, supersedes).
 */
export interface ImportReport {
  creates: number;
  updates: number;
  sheets: Array<{ sheet: string; creates: number; updates: number }>;
  errors: ImportError[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const compile = (schema: TSchema) => validatorCompiler({ schema, httpPart: 'body' });
const validate = {
  vendor: compile(VendorInput),
  product: compile(ProductInput),
  contract: compile(ContractInput),
  contractPatch: compile(ContractPatch),
  metrics: compile(MetricDefinitions),
};

class RowFailed extends Error {
  constructor(readonly errors: ImportError[]) {
    super('row failed');
  }
}

/** A cell typed for its API field; a message when it cannot be. */
type Typed = { value: unknown } | { error: string };

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function typedValue(kind: CellKind, raw: string | number | boolean | Date | null): Typed {
  if (raw === null) return { value: kind === 'text-list' ? [] : null };
  switch (kind) {
    case 'date':
      if (raw instanceof Date) return { value: isoDate(raw) };
      if (typeof raw === 'number') return { value: isoDate(new Date(Math.round((raw - 25569) * 86_400_000))) };
      if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw.trim())) return { value: raw.trim() };
      return { error: 'must be a date (YYYY-MM-DD)' };
    case 'money':
    case 'percent':
      if (typeof raw === 'number') return Number.isFinite(raw) ? { value: raw.toFixed(4) } : { error: 'must be a number' };
      if (typeof raw === 'string') return { value: raw.trim() };
      return { error: 'must be a number' };
    case 'integer':
      if (typeof raw === 'number' && Number.isInteger(raw)) return { value: raw };
      if (typeof raw === 'string' && /^\d{1,10}$/.test(raw.trim())) return { value: Number(raw.trim()) };
      return { error: 'must be a whole number' };
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const text = String(raw).trim().toLowerCase();
      if (['true', 'yes', '1', 'wahr'].includes(text)) return { value: true };
      if (['false', 'no', '0', 'falsch'].includes(text)) return { value: false };
      return { error: 'must be TRUE or FALSE' };
    }
    case 'text-list':
      return {
        value: String(raw)
          .split(/\r?\n/)
          .map((item) => item.trim())
          .filter(Boolean),
      };
    case 'timestamp':
      return { value: raw instanceof Date ? raw.toISOString() : String(raw) };
    default:
      return { value: raw instanceof Date ? isoDate(raw) : String(raw) };
  }
}

/** Keys of the file (ids as written) mapped to the records they created or name. */
type Keys = Map<string, string>;

interface Context {
  tx: Tx;
  actor: Actor;
  audit: AuditContext;
  keys: { vendors: Keys; products: Keys; contracts: Keys };
  counts: Map<string, { creates: number; updates: number }>;
  /** Keys of rows that failed, and which row that was. */
  failed: Map<string, string>;
}

function count(context: Context, sheet: SheetLayout, what: 'creates' | 'updates', by = 1) {
  const entry = context.counts.get(sheet.name) ?? { creates: 0, updates: 0 };
  entry[what] += by;
  context.counts.set(sheet.name, entry);
}

/** The row's typed values of the fields its file has (absent columns are left out: an update keeps them). */
function fieldsOf(row: ImportRow): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const errors: ImportError[] = [];
  for (const column of row.sheet.columns) {
    const cell = row.cells[column.field];
    if (!column.importable || cell === undefined) continue;
    const typed = typedValue(column.kind, cell.value);
    if ('error' in typed) errors.push({ sheet: row.sheet.name, cell: cell.ref, message: typed.error });
    else values[column.field] = typed.value;
  }
  if (errors.length > 0) throw new RowFailed(errors);
  return values;
}

const cellOf = (row: ImportRow, field: string) => row.cells[field]?.ref ?? row.ref;
const rowError = (row: ImportRow, field: string | null, message: string): ImportError => ({
  sheet: row.sheet.name,
  cell: field ? cellOf(row, field) : row.ref,
  message,
});

/** The file key of a row ('' when none) and the existing record it names, if any. */
function keyOf(row: ImportRow, field = 'id'): string {
  const value = row.cells[field]?.value;
  return value === null || value === undefined ? '' : String(value).trim();
}

/** Resolves a reference cell: a key of the file, or an id (the services check it exists and is visible). */
function resolve(context: Context, keys: Keys, row: ImportRow, field: string, required: boolean): string | null {
  const key = keyOf(row, field);
  const failed = context.failed.get(key);
  if (failed) throw new RowFailed([rowError(row, field, `refers to ${failed}, which has errors`)]);
  if (key === '') {
    if (required) throw new RowFailed([rowError(row, field, 'is required')]);
    return null;
  }
  const id = keys.get(key) ?? (UUID.test(key) ? key.toLowerCase() : undefined);
  if (!id) throw new RowFailed([rowError(row, field, 'names no row of this file and no existing record')]);
  return id;
}

type CellFor = (segments: string[]) => { sheet: string; cell: string };

// A nullable field's schema is a union: its failure also reports "must be null" and "must match a schema
// in anyOf", which say nothing to a person editing a spreadsheet once the real reason is listed.
const UNION_NOISE = new Set(['must be null', 'must match a schema in anyOf']);

/** Field errors of a service or schema (JSON pointers into the API body) as cell references. */
function problemErrors(error: unknown, row: ImportRow, cellFor: CellFor): ImportError[] {
  if (error instanceof RowFailed) return error.errors;
  if (!(error instanceof ProblemError)) throw error;
  const fields = error.extensions.errors as Array<{ path: string; message: string }> | undefined;
  if (error.code === 'validation_failed' && fields?.length) {
    const errors = fields.map((field) => {
      const segments = field.path
        .replace(/^body:/, '')
        .split('/')
        .filter(Boolean);
      return { ...cellFor(segments), message: `${segments.at(-1) ?? 'row'} ${field.message}`, noise: UNION_NOISE.has(field.message) };
    });
    return errors
      .filter((item) => !item.noise || !errors.some((other) => !other.noise && other.cell === item.cell))
      .map(({ noise: _noise, ...item }) => item);
  }
  return [{ sheet: row.sheet.name, cell: row.ref, message: error.detail ?? error.message }];
}

function schemaCheck(check: ReturnType<typeof compile>, body: unknown) {
  if (!check(body)) {
    throw new ProblemError(400, 'validation_failed', 'Some fields are not valid.', {
      errors: fieldErrors((check.errors ?? []) as never, 'body'),
    });
  }
}

/** Runs one row's work behind a savepoint: its failure is recorded and undone, the transaction lives on. */
async function inSavepoint(
  context: Context,
  errors: ImportError[],
  row: ImportRow,
  work: () => Promise<void>,
  cellFor: CellFor = (segments) => ({ sheet: row.sheet.name, cell: cellOf(row, segments[0] ?? '') }),
) {
  const { tx } = context;
  await sql`SAVEPOINT import_row`.execute(tx);
  try {
    await work();
    await sql`RELEASE SAVEPOINT import_row`.execute(tx);
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT import_row`.execute(tx);
    errors.push(...problemErrors(error, row, cellFor));
    // Rows that refer to this one are reported as such, not as referring to something unknown.
    const key = keyOf(row);
    if (key && row.sheet.name !== 'Line items' && row.sheet.name !== 'Metric definitions')
      context.failed.set(key, `${row.sheet.name} row ${row.number}`);
  }
}

const withoutNulls = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null));

/** Fields of `wanted` that differ from `current` (both in API shape). */
function changed(wanted: Record<string, unknown>, current: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(wanted).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(current[field])));
}

async function importVendor(context: Context, row: ImportRow) {
  const { id: _id, ...values } = fieldsOf(row);
  const key = keyOf(row);
  const existing = UUID.test(key) ? await findVendor(context.tx, key.toLowerCase()) : undefined;
  if (existing) {
    const current = vendors.vendorView(existing);
    const patch = changed(values, current as unknown as Record<string, unknown>);
    context.keys.vendors.set(key, existing.id);
    if (Object.keys(patch).length === 0) return;
    schemaCheck(validate.vendor, { ...withoutNulls({ name: current.name }), ...patch });
    await vendors.updateVendor(context.tx, existing.id, patch);
    count(context, row.sheet, 'updates');
    return;
  }
  const input = { ...values, aliases: values.aliases ?? [] };
  schemaCheck(validate.vendor, withoutNulls(input));
  const created = await vendors.createVendor(context.tx, input as never);
  if (key) context.keys.vendors.set(key, created.id);
  count(context, row.sheet, 'creates');
}

async function importProduct(context: Context, row: ImportRow) {
  const { id: _id, vendorId: _vendor, ...values } = fieldsOf(row);
  const vendorId = resolve(context, context.keys.vendors, row, 'vendorId', true)!;
  const key = keyOf(row);
  const existing = UUID.test(key) ? await findProduct(context.tx, key.toLowerCase()) : undefined;
  if (existing) {
    context.keys.products.set(key, existing.id);
    if (existing.vendor_id !== vendorId) throw new RowFailed([rowError(row, 'vendorId', "a product's vendor cannot change")]);
    const current = products.productView(existing) as unknown as Record<string, unknown>;
    const patch = changed(values, current);
    if (Object.keys(patch).length === 0) return;
    schemaCheck(validate.product, withoutNulls({ vendorId, name: current.name, metric: current.metric, ...patch }));
    await products.updateProduct(context.tx, existing.id, patch as never);
    count(context, row.sheet, 'updates');
    return;
  }
  const input = withoutNulls({ vendorId, ...values });
  schemaCheck(validate.product, input);
  const created = await products.createProduct(context.tx, input as never);
  if (key) context.keys.products.set(key, created.id);
  count(context, row.sheet, 'creates');
}

/** A vendor's rows replace its metric definitions, as PUT /vendors/{id}/metrics does. */
async function importMetricDefinitions(context: Context, rows: ImportRow[], errors: ImportError[]) {
  const byVendor = new Map<string, ImportRow[]>();
  for (const row of rows) {
    try {
      const vendorId = resolve(context, context.keys.vendors, row, 'vendorId', true)!;
      byVendor.set(vendorId, [...(byVendor.get(vendorId) ?? []), row]);
    } catch (error) {
      errors.push(...problemErrors(error, row, () => ({ sheet: row.sheet.name, cell: row.ref })));
    }
  }
  for (const [vendorId, group] of byVendor) {
    const first = group[0]!;
    await inSavepoint(
      context,
      errors,
      first,
      async () => {
        const items = group.map((row) => {
          const values = fieldsOf(row);
          return { metric: values.metric as LicenceMetric, definition: values.definition as string };
        });
        schemaCheck(validate.metrics, { items });
        const current = new Map(
          (await listMetricDefinitions(context.tx, vendorId)).map((item) => [item.metric as string, item.definition]),
        );
        const creates = items.filter((item) => !current.has(item.metric)).length;
        const updates = items.filter((item) => current.has(item.metric) && current.get(item.metric) !== item.definition).length;
        const removed = current.size - (items.length - creates);
        if (creates + updates + removed === 0) return;
        await vendors.replaceMetricDefinitions(context.tx, vendorId, items);
        count(context, first.sheet, 'creates', creates);
        count(context, first.sheet, 'updates', updates + removed);
      },
      (segments) => ({
        sheet: first.sheet.name,
        cell: segments[0] === 'items' ? cellOf(group[Number(segments[1])] ?? first, segments[2] ?? 'metric') : first.ref,
      }),
    );
  }
}

async function managerIdOf(tx: Tx, email: string): Promise<string | undefined> {
  const user = await tx
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
    .where('status', '=', 'active')
    .executeTakeFirst();
  return user?.id;
}

const LINE_FIELDS = [
  'productId',
  'quantity',
  'blockSize',
  'listUnitPrice',
  'discountPercent',
  'netUnitPrice',
  'maintenancePercent',
  'terms',
];

/** Line items in API shape, decimals compared by value ("10" equals "10.0000"). */
function comparableLines(items: Array<Record<string, unknown>>): string {
  return JSON.stringify(
    items.map((item) =>
      LINE_FIELDS.map((field) => {
        const value = item[field];
        return typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) && field !== 'terms' ? Number(value) : (value ?? null);
      }),
    ),
  );
}

async function importContract(context: Context, row: ImportRow, lines: ImportRow[], errors: ImportError[]) {
  const kind = row.sheet.name === 'Proposals' ? 'proposal' : 'contract';
  const { id: _id, managerEmail, vendorId: _vendor, supersedesId: _supersedes, ...values } = fieldsOf(row);
  const vendorId = resolve(context, context.keys.vendors, row, 'vendorId', true)!;
  const lineErrors: ImportError[] = [];
  const lineItems = lines.map((line) => {
    try {
      const { contractId: _contract, position: _position, ...item } = fieldsOf(line);
      return withoutNulls({ ...item, productId: resolve(context, context.keys.products, line, 'productId', true) });
    } catch (error) {
      lineErrors.push(...problemErrors(error, line, () => ({ sheet: line.sheet.name, cell: line.ref })));
      return {};
    }
  });
  if (lineErrors.length > 0) throw new RowFailed(lineErrors);

  const key = keyOf(row);
  const existing = UUID.test(key) ? await contracts.getContract(context.tx, key.toLowerCase()).catch(() => null) : null;
  if (existing && existing.kind !== kind) throw new RowFailed([rowError(row, 'id', `is a ${existing.kind}, not a ${kind}`)]);
  let managerId: string | undefined;
  if (typeof managerEmail === 'string') {
    managerId = await managerIdOf(context.tx, managerEmail);
    // A new record whose manager is none of this company's people (an export of another company) is
    // managed by whoever imports it; an existing record's manager must be one of them.
    if (!managerId && existing) throw new RowFailed([rowError(row, 'managerEmail', 'is not an active user of your company')]);
  }
  const wanted: Record<string, unknown> = { ...values, vendorId, ...(managerId ? { managerId } : {}) };
  if (Array.isArray(wanted.groupIds)) wanted.groupIds = [...(wanted.groupIds as string[])].map((id) => id.toLowerCase()).sort();
  if (row.cells.supersedesId !== undefined && !existing)
    wanted.supersedesId = resolve(context, context.keys.contracts, row, 'supersedesId', false);
  if (lines.length > 0 || !existing) wanted.lineItems = lineItems;

  if (existing) {
    context.keys.contracts.set(key, existing.id);
    const { lineItems: wantedLines, ...fields } = wanted;
    const patch = changed(fields, { ...existing, groupIds: [...existing.groupIds].sort() } as unknown as Record<string, unknown>);
    if (wantedLines !== undefined && comparableLines(wantedLines as never) !== comparableLines(existing.lineItems as never))
      patch.lineItems = wantedLines;
    if (Object.keys(patch).length === 0) return;
    schemaCheck(validate.contractPatch, patch);
    await contracts.updateContract(context.tx, context.actor, existing.id, patch as never, context.audit);
    count(context, row.sheet, 'updates');
    return;
  }
  const input = withoutNulls({ ...wanted, kind });
  if (Array.isArray(input.groupIds) && input.groupIds.length === 0) delete input.groupIds;
  schemaCheck(validate.contract, input);
  const created = await contracts.createContract(context.tx, context.actor, input as never, context.audit);
  if (key) context.keys.contracts.set(key, created.id);
  count(context, row.sheet, 'creates');
  if (lines.length > 0) count(context, sheetLayout('Line items'), 'creates', lines.length);
  void errors;
}

/** Where a contract's API error points in the file: its own cells, or a cell of one of its line-item rows. */
function contractCell(row: ImportRow, lines: ImportRow[]) {
  return (segments: string[]) => {
    const [field, index, lineField] = segments;
    if (field === 'lineItems' && index !== undefined) {
      const line = lines[Number(index)];
      return line ? { sheet: line.sheet.name, cell: cellOf(line, lineField ?? 'productId') } : { sheet: row.sheet.name, cell: row.ref };
    }
    return { sheet: row.sheet.name, cell: cellOf(row, field === 'managerId' ? 'managerEmail' : (field ?? '')) };
  };
}

export async function applyImport(tx: Tx, actor: Actor, audit: AuditContext, rows: ImportRow[]): Promise<ImportReport> {
  const context: Context = {
    tx,
    actor,
    audit,
    keys: { vendors: new Map(), products: new Map(), contracts: new Map() },
    counts: new Map(),
    failed: new Map(),
  };
  const errors: ImportError[] = [];
  const of = (name: string) => rows.filter((row) => row.sheet.name === name);

  for (const row of of('Vendors')) await inSavepoint(context, errors, row, () => importVendor(context, row));
  await importMetricDefinitions(context, of('Metric definitions'), errors);
  for (const row of of('Products')) await inSavepoint(context, errors, row, () => importProduct(context, row));

  // Line items travel with their contract: group them by the contract id they name, in position order.
  const linesByContract = new Map<string, ImportRow[]>();
  for (const line of of('Line items')) {
    const key = keyOf(line, 'contractId');
    if (!key) {
      errors.push(rowError(line, 'contractId', 'is required'));
      continue;
    }
    linesByContract.set(key, [...(linesByContract.get(key) ?? []), line]);
  }
  for (const group of linesByContract.values()) {
    group.sort((a, b) => Number(a.cells.position?.value ?? a.number) - Number(b.cells.position?.value ?? b.number));
  }

  // A row that supersedes another row of the file waits until that one exists.
  let pending = [...of('Contracts'), ...of('Proposals')];
  const fileKeys = new Set(pending.map((row) => keyOf(row)).filter(Boolean));
  while (pending.length > 0) {
    const ready = pending.filter((row) => {
      const predecessor = keyOf(row, 'supersedesId');
      return !predecessor || !fileKeys.has(predecessor) || context.keys.contracts.has(predecessor) || predecessor === keyOf(row);
    });
    if (ready.length === 0) {
      for (const row of pending) errors.push(rowError(row, 'supersedesId', 'names a row that could not be imported'));
      break;
    }
    for (const row of ready) {
      const lines = linesByContract.get(keyOf(row)) ?? [];
      linesByContract.delete(keyOf(row));
      await inSavepoint(context, errors, row, () => importContract(context, row, lines, errors), contractCell(row, lines));
      fileKeys.delete(keyOf(row));
    }
    pending = pending.filter((row) => !ready.includes(row));
  }
  // Line items of a contract that has no row in the file replace that existing contract's line items.
  for (const [key, lines] of linesByContract) {
    const first = lines[0]!;
    await inSavepoint(
      context,
      errors,
      first,
      async () => {
        const id = resolve(context, context.keys.contracts, first, 'contractId', true)!;
        const existing = await contracts.getContract(tx, id).catch(() => null);
        if (!existing) throw new RowFailed([rowError(first, 'contractId', 'names no row of this file and no contract you can see')]);
        const lineItems = lines.map((line) => {
          const { contractId: _contract, position: _position, ...item } = fieldsOf(line);
          return withoutNulls({ ...item, productId: resolve(context, context.keys.products, line, 'productId', true) });
        });
        if (comparableLines(lineItems) === comparableLines(existing.lineItems as never)) return;
        await contracts.updateContract(tx, actor, id, { lineItems } as never, audit);
        count(context, first.sheet, 'updates', lines.length);
      },
      contractCell(first, lines),
    );
    void key;
  }

  const sheets = [...context.counts.entries()].map(([sheet, counted]) => ({ sheet, ...counted }));
  return {
    creates: sheets.reduce((sum, sheet) => sum + sheet.creates, 0),
    updates: sheets.reduce((sum, sheet) => sum + sheet.updates, 0),
    sheets,
    errors,
  };
}

/** Thrown to roll the import's transaction back (a dry run, or any row failed) while keeping its report. */
export class ImportRolledBack extends Error {
  constructor(readonly report: ImportReport) {
    super('import rolled back');
  }
}

/**
 * The whole import in the caller's transaction: applied and audited, or rolled back (dry run, or errors)
 * by throwing ImportRolledBack, which the route turns into its answer.
 */
export async function runImport(tx: Tx, actor: Actor, audit: AuditContext, rows: ImportRow[], dryRun: boolean): Promise<ImportReport> {
  const report = await applyImport(tx, actor, audit, rows);
  if (dryRun || report.errors.length > 0) throw new ImportRolledBack(report);
  await recordAudit(tx, audit, {
    action: 'data.imported',
    details: { creates: report.creates, updates: report.updates, sheets: report.sheets },
  });
  return report;
}
