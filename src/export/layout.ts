/**
 * The workbook's layout, written once for both directions: the export writes these sheets and columns in
 * this order, and the import reads them back by header (or, for a CSV, by the mapping's field names, which
 * are the `field` keys below). A column without `importable` is derived (a name next to an id, a total, a
 * timestamp the database keeps) and is ignored on import.
 */

/** How a column's cells are typed in the workbook and parsed on import. */
export type CellKind =
  | 'text' // a text cell, always: never a formula, whatever the first character
  | 'id' // a UUID, or on import any key naming a row of the same file
  | 'date' // a date cell (Excel serial with a date format); YYYY-MM-DD on the wire
  | 'timestamp' // a date-time cell in UTC
  | 'money' // a number with 4 decimals shown; the currency stands in its own column
  | 'percent' // a number with up to 4 decimals (20 = 20 %)
  | 'integer'
  | 'boolean'
  | 'text-list'; // several values in one text cell, one per line

export interface Column {
  /** The header cell's text; the import finds columns by it. */
  header: string;
  /** The field name: the key of the export's row objects and of a CSV mapping. */
  field: string;
  kind: CellKind;
  /** Column width in characters. */
  width: number;
  importable?: true;
}

export type SheetName =
  'Contracts' | 'Line items' | 'Proposals' | 'Vendors' | 'Products' | 'Holdings' | 'Deadlines' | 'Documents' | 'Metric definitions';

export interface SheetLayout {
  name: SheetName;
  /** The camelCase key the import report uses for this sheet. */
  key: string;
  columns: readonly Column[];
  /** Whether the import reads this sheet (holdings, deadlines and documents are derived or binary). */
  importable: boolean;
}

const col = (header: string, field: string, kind: CellKind, width: number, importable = false): Column =>
  importable ? { header, field, kind, width, importable } : { header, field, kind, width };

/** Contracts and proposals share one table and so one layout; only the sheet (kind) differs. */
const contractColumns: readonly Column[] = [
  col('Id', 'id', 'id', 38, true),
  col('Vendor id', 'vendorId', 'id', 38, true),
  col('Vendor', 'vendor', 'text', 24),
  col('Reference', 'reference', 'text', 16, true),
  col('Title', 'title', 'text', 40, true),
  col('Status', 'status', 'text', 12, true),
  col('Signed on', 'signedOn', 'date', 12, true),
  col('Starts on', 'startsOn', 'date', 12, true),
  col('Ends on', 'endsOn', 'date', 12, true),
  col('Notice period (days)', 'noticePeriodDays', 'integer', 12, true),
  col('Auto-renew', 'autoRenew', 'boolean', 11, true),
  col('Renewal term (months)', 'renewalTermMonths', 'integer', 12, true),
  col('Currency', 'currency', 'text', 9, true),
  col('Net total', 'netTotal', 'money', 16),
  col('Annual maintenance', 'annualMaintenance', 'money', 16),
  col('Manager e-mail', 'managerEmail', 'text', 28, true),
  col('Access group ids', 'groupIds', 'text-list', 38, true),
  col('Supersedes id', 'supersedesId', 'id', 38, true),
  col('Terms', 'terms', 'text', 40, true),
  col('Created at', 'createdAt', 'timestamp', 19),
  col('Updated at', 'updatedAt', 'timestamp', 19),
];

export const SHEETS: readonly SheetLayout[] = [
  { name: 'Contracts', key: 'contracts', importable: true, columns: contractColumns },
  {
    name: 'Line items',
    key: 'lineItems',
    importable: true,
    columns: [
      col('Id', 'id', 'id', 38),
      col('Contract id', 'contractId', 'id', 38, true),
      col('Contract', 'contract', 'text', 30),
      col('Position', 'position', 'integer', 9, true),
      col('Product id', 'productId', 'id', 38, true),
      col('Product', 'product', 'text', 24),
      col('Quantity', 'quantity', 'integer', 10, true),
      col('Block size', 'blockSize', 'integer', 10, true),
      col('List unit price', 'listUnitPrice', 'money', 16, true),
      col('Discount %', 'discountPercent', 'percent', 11, true),
      col('Net unit price', 'netUnitPrice', 'money', 16, true),
      col('Maintenance %', 'maintenancePercent', 'percent', 13, true),
      col('Currency', 'currency', 'text', 9),
      col('Terms', 'terms', 'text', 30, true),
    ],
  },
  { name: 'Proposals', key: 'proposals', importable: true, columns: contractColumns },
  {
    name: 'Vendors',
    key: 'vendors',
    importable: true,
    columns: [
      col('Id', 'id', 'id', 38, true),
      col('Name', 'name', 'text', 28, true),
      col('Website', 'website', 'text', 30, true),
      col('Notes', 'notes', 'text', 40, true),
      col('Aliases', 'aliases', 'text-list', 24, true),
      col('Created at', 'createdAt', 'timestamp', 19),
      col('Updated at', 'updatedAt', 'timestamp', 19),
    ],
  },
  {
    name: 'Products',
    key: 'products',
    importable: true,
    columns: [
      col('Id', 'id', 'id', 38, true),
      col('Vendor id', 'vendorId', 'id', 38, true),
      col('Vendor', 'vendor', 'text', 24),
      col('Name', 'name', 'text', 30, true),
      col('SKU', 'sku', 'text', 16, true),
      col('Metric', 'metric', 'text', 16, true),
      col('Block size', 'blockSize', 'integer', 10, true),
      col('Created at', 'createdAt', 'timestamp', 19),
      col('Updated at', 'updatedAt', 'timestamp', 19),
    ],
  },
  {
    name: 'Holdings',
    key: 'holdings',
    importable: false,
    columns: [
      col('Product id', 'productId', 'id', 38),
      col('Product', 'product', 'text', 30),
      col('SKU', 'sku', 'text', 16),
      col('Vendor', 'vendor', 'text', 24),
      col('Metric', 'metric', 'text', 16),
      col('Block size', 'blockSize', 'integer', 10),
      col('Quantity', 'quantity', 'integer', 10),
      col('Blocks', 'blocks', 'integer', 10),
      col('Contracts', 'contracts', 'integer', 10),
      col('Pending proposals', 'pendingProposals', 'integer', 10),
    ],
  },
  {
    name: 'Deadlines',
    key: 'deadlines',
    importable: false,
    columns: [
      col('Contract id', 'contractId', 'id', 38),
      col('Contract', 'contract', 'text', 40),
      col('Vendor', 'vendor', 'text', 24),
      col('Type', 'type', 'text', 8),
      col('Date', 'date', 'date', 12),
    ],
  },
  {
    name: 'Documents',
    key: 'documents',
    importable: false,
    columns: [
      col('Id', 'id', 'id', 38),
      col('Contract id', 'contractId', 'id', 38),
      col('Contract', 'contract', 'text', 30),
      col('File name', 'filename', 'text', 30),
      col('Content type', 'contentType', 'text', 16),
      col('Size (bytes)', 'sizeBytes', 'integer', 12),
      col('SHA-256', 'sha256', 'text', 66),
      col('Uploaded at', 'uploadedAt', 'timestamp', 19),
    ],
  },
  {
    name: 'Metric definitions',
    key: 'metricDefinitions',
    importable: true,
    columns: [
      col('Vendor id', 'vendorId', 'id', 38, true),
      col('Vendor', 'vendor', 'text', 24),
      col('Metric', 'metric', 'text', 16, true),
      col('Definition', 'definition', 'text', 60, true),
    ],
  },
];

export function sheetLayout(name: SheetName): SheetLayout {
  const sheet = SHEETS.find((candidate) => candidate.name === name);
  if (!sheet) throw new Error(`no sheet ${name}`);
  return sheet;
}

/** Excel's number formats: money shows (and keeps) 4 decimals, dates as ISO so every locale reads them alike. */
export const NUMBER_FORMATS: Partial<Record<CellKind, string>> = {
  date: 'yyyy-mm-dd',
  timestamp: 'yyyy-mm-dd hh:mm:ss',
  money: '#,##0.0000',
  percent: '0.0000',
  integer: '0',
};

/** Separator of a text-list cell: one value per line (names and ids never contain a line break). */
export const LIST_SEPARATOR = '\n';

/** "A1"-style letters of a 0-based column index. */
export function columnLetters(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}
