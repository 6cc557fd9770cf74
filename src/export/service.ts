import type { Writable } from 'node:stream';
import { recordAudit, type AuditContext } from '../audit/record.js';
import { contractDeadlines } from '../deadlines/service.js';
import { todayUtc } from '../deadlines/dates.js';
import type { ContractKind } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import * as holdings from '../holdings/queries.js';
import { type Actor, requireRecentAuthentication } from '../identity/actor.js';
import { sheetLayout, type SheetName } from './layout.js';
import * as queries from './queries.js';
import { EXPORT_PAGE_SIZE } from './queries.js';
import { pagesOf, workbookStream, type RawRow } from './workbook-writer.js';

/**
 * Promise 6: every user can take what they may see, in Office format, at any time. An export copies the
 * company's contracts out of reach of its access controls, so it needs a proof of identity from the last
 * 15 minutes (ASVS 3.7.1), and it is recorded in the audit trail before a byte leaves.
 */
export async function authorizeExport(
  tx: Tx,
  actor: Actor,
  audit: AuditContext,
  takeTurn: () => void,
): Promise<{ companyName: string; records: number }> {
  requireRecentAuthentication(actor);
  // After the identity check (a stale session learns that first), before the audit row (a refused
  // export is not recorded as taken).
  takeTurn();
  const records = await queries.recordCount(tx);
  await recordAudit(tx, audit, { action: 'data.exported', details: { format: 'xlsx', records } });
  return { companyName: await queries.tenantName(tx), records };
}

/** What the export wrote, per sheet (for the log; the client sees only the workbook). */
export type ExportCounts = Partial<Record<SheetName, number>>;

/**
 * Writes the workbook of everything the transaction's caller may see into `output`, sheet by sheet, each
 * read in pages: the memory held is one page and the compressor's window, whatever the company's size.
 * `tx` should be one REPEATABLE READ transaction so all sheets show the same moment.
 */
export async function writeExport(tx: Tx, output: Writable, today: string = todayUtc()): Promise<ExportCounts> {
  const workbook = await workbookStream(output);
  const counts: ExportCounts = {};
  for (const [name, pages] of exportSheets(tx, today)) counts[name] = await workbook.writeSheet(sheetLayout(name), pages);
  await workbook.finish();
  return counts;
}

/** The workbook's sheets in order, each as pages of rows read lazily (a sheet's first query runs when it is read). */
export function exportSheets(tx: Tx, today: string = todayUtc()): Array<[SheetName, AsyncIterable<RawRow[]>]> {
  return [
    ['Contracts', contractPages(tx, 'contract')],
    ['Line items', lineItemPages(tx)],
    ['Proposals', contractPages(tx, 'proposal')],
    ['Vendors', vendorPages(tx)],
    ['Products', productPages(tx)],
    ['Holdings', holdingPages(tx, today)],
    ['Deadlines', deadlinePages(tx, today)],
    ['Documents', documentPages(tx)],
    ['Metric definitions', metricDefinitionPages(tx)],
  ];
}

function contractPages(tx: Tx, kind: ContractKind) {
  return pagesOf(
    (last: { id: string } | null) => queries.contractsPage(tx, kind, last?.id ?? null),
    (row) => ({
      id: row.id,
      vendorId: row.vendor_id,
      vendor: row.vendor_name,
      reference: row.reference,
      title: row.title,
      status: row.status,
      signedOn: row.signed_on,
      startsOn: row.starts_on,
      endsOn: row.ends_on,
      noticePeriodDays: row.notice_period_days,
      autoRenew: row.auto_renew,
      renewalTermMonths: row.renewal_term_months,
      currency: row.currency,
      netTotal: row.net,
      annualMaintenance: row.annual_maintenance,
      managerEmail: row.manager_email,
      groupIds: row.group_ids,
      supersedesId: row.supersedes_id,
      terms: row.terms,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
    EXPORT_PAGE_SIZE,
  );
}

function lineItemPages(tx: Tx) {
  return pagesOf(
    (last: { contract_id: string; position: number } | null) =>
      queries.lineItemsPage(tx, last ? { contractId: last.contract_id, position: last.position } : null),
    (row) => ({
      id: row.id,
      contractId: row.contract_id,
      contract: row.contract_title,
      position: row.position,
      productId: row.product_id,
      product: row.product_name,
      quantity: row.quantity,
      blockSize: row.block_size,
      listUnitPrice: row.list_unit_price,
      discountPercent: row.discount_percent,
      netUnitPrice: row.net_unit_price,
      maintenancePercent: row.maintenance_percent,
      currency: row.currency,
      terms: row.terms,
    }),
    EXPORT_PAGE_SIZE,
  );
}

function vendorPages(tx: Tx) {
  return pagesOf(
    (last: { id: string } | null) => queries.vendorsPage(tx, last?.id ?? null),
    (row) => ({
      id: row.id,
      name: row.name,
      website: row.website,
      notes: row.notes,
      aliases: row.aliases,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
    EXPORT_PAGE_SIZE,
  );
}

function productPages(tx: Tx) {
  return pagesOf(
    (last: { id: string } | null) => queries.productsPage(tx, last?.id ?? null),
    (row) => ({
      id: row.id,
      vendorId: row.vendor_id,
      vendor: row.vendor_name,
      name: row.name,
      sku: row.sku,
      metric: row.metric,
      blockSize: row.block_size,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
    EXPORT_PAGE_SIZE,
  );
}

/** The holdings list's own query and order (vendor, product), paged by its own anchor. */
function holdingPages(tx: Tx, today: string) {
  const pageSize = 500;
  return pagesOf(
    async (last: holdings.HoldingRow | null) => {
      const after = last ? await holdings.findHoldingAnchor(tx, last.product_id) : null;
      return holdings.listHoldings(tx, { today, after: after ?? null, limit: pageSize });
    },
    (row) => ({
      productId: row.product_id,
      product: row.product_name,
      sku: row.sku,
      vendor: row.vendor_name,
      metric: row.metric,
      blockSize: row.block_size,
      quantity: row.quantity,
      blocks: row.blocks,
      contracts: row.contracts.length,
      pendingProposals: row.proposals.length,
    }),
    pageSize,
  );
}

/** Each running contract's next notice and end dates (today or later), as GET /deadlines computes them. */
async function* deadlinePages(tx: Tx, today: string): AsyncGenerator<RawRow[]> {
  const candidates = pagesOf(
    (last: { id: string } | null) => queries.deadlineCandidatesPage(tx, last?.id ?? null),
    (row) => ({ ...row }) as unknown as RawRow,
    EXPORT_PAGE_SIZE,
  );
  for await (const page of candidates) {
    yield page.flatMap((row) =>
      contractDeadlines(
        {
          endsOn: String(row.ends_on),
          noticePeriodDays: row.notice_period_days as number | null,
          autoRenew: row.auto_renew as boolean,
          renewalTermMonths: row.renewal_term_months as number | null,
        },
        today,
      )
        .filter((deadline) => deadline.date >= today)
        .map((deadline) => ({
          contractId: row.id,
          contract: row.title,
          vendor: row.vendor_name,
          type: deadline.type,
          date: deadline.date,
        })),
    );
  }
}

function documentPages(tx: Tx) {
  return pagesOf(
    (last: { id: string } | null) => queries.documentsPage(tx, last?.id ?? null),
    (row) => ({
      id: row.id,
      contractId: row.contract_id,
      contract: row.contract_title,
      filename: row.filename,
      contentType: row.content_type,
      sizeBytes: row.size_bytes,
      sha256: Buffer.from(row.sha256).toString('hex'),
      uploadedAt: row.created_at,
    }),
    EXPORT_PAGE_SIZE,
  );
}

function metricDefinitionPages(tx: Tx) {
  return pagesOf(
    (last: { vendor_id: string; metric: string } | null) =>
      queries.metricDefinitionsPage(tx, last ? { vendorId: last.vendor_id, metric: last.metric } : null),
    (row) => ({ vendorId: row.vendor_id, vendor: row.vendor_name, metric: row.metric, definition: row.definition }),
    EXPORT_PAGE_SIZE,
  );
}

/** `Acme AG` on 2026-11-30 → `pactum-acme-ag-2026-11-30.xlsx`: ASCII only, nothing a header or a shell could misread. */
export function exportFilename(companyName: string, today: string = todayUtc()): string {
  const slug = companyName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `pactum-${slug || 'export'}-${today}.xlsx`;
}
