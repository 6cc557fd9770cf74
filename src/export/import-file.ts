import type ExcelJS from 'exceljs';
import { ProblemError } from '../http/problem.js';
import { columnLetters, SHEETS, type Column, type SheetLayout } from './layout.js';
import { checkZipLimits } from './zip-limits.js';

/**
 * Reading an uploaded file into rows of the workbook's layout: an XLSX in the export's layout (sheets and
 * columns found by their header text, so columns may be reordered or left out) or a CSV with a mapping of
 * its headers to one sheet's fields. Every limit is checked while reading, before anything is parsed whole.
 */
export const IMPORT_LIMITS = {
  /** The upload itself (compressed, for an XLSX). */
  maxFileBytes: 10 * 1024 * 1024,
  /** What an XLSX may unpack to, counted while inflating. */
  maxUncompressedBytes: 64 * 1024 * 1024,
  maxZipEntries: 100,
  /** Data rows over all sheets: the import runs in one transaction, through the API's own rules. */
  maxRows: 10_000,
  /** Cells of all worksheets together, counted while unpacking (the workbook is then read in memory). */
  maxCells: 400_000,
  /** Columns read per row; anything further right is ignored. */
  maxColumns: 100,
  /** Characters of one cell (the longest API field, contract terms, takes 20,000). */
  maxCellLength: 20_000,
};

/** A cell as read, before it is typed for its field: its reference stays with it for error reports. */
export interface ImportCell {
  value: string | number | boolean | Date | null;
  ref: string;
}

export interface ImportRow {
  sheet: SheetLayout;
  /** The row's number as the file shows it (1 is the header). */
  number: number;
  cells: Partial<Record<string, ImportCell>>;
  /** Where a problem with the row as a whole is reported: its first cell. */
  ref: string;
}

export interface ImportError {
  sheet: string;
  cell: string;
  message: string;
}

export class ImportFileError extends Error {
  constructor(readonly errors: ImportError[]) {
    super('the file cannot be imported');
  }
}

const tooManyRows = () =>
  new ProblemError(413, 'payload_too_large', `A file may hold at most ${IMPORT_LIMITS.maxRows} rows; split it into smaller files.`);

/** A CSV's mapping: which sheet its rows are, and which of its headers is which field (default: the sheet's own headers). */
export interface CsvMapping {
  sheet: string;
  columns?: Record<string, string>;
}

/** A cell value of ExcelJS as plain data: formulas give their cached result, rich text its text. */
function plainValue(value: ExcelJS.CellValue): ImportCell['value'] {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((run) => run.text).join('');
    if ('result' in value) return plainValue((value.result ?? null) as ExcelJS.CellValue);
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('error' in value) return null;
  }
  return null;
}

function checkedText(value: ImportCell['value']): ImportCell['value'] {
  if (typeof value === 'string' && value.length > IMPORT_LIMITS.maxCellLength) return value.slice(0, IMPORT_LIMITS.maxCellLength + 1);
  return value;
}

/** Maps a header row to the layout's importable columns; unknown headers are ignored, doubled ones are errors. */
function headerMap(sheet: SheetLayout, headers: Array<string | null>, errors: ImportError[], rename: Record<string, string> = {}) {
  const byField = new Map<string, Column>(sheet.columns.filter((column) => column.importable).map((column) => [column.field, column]));
  const byHeader = new Map<string, Column>(
    sheet.columns.filter((column) => column.importable).map((column) => [column.header.toLowerCase(), column]),
  );
  const found = new Map<number, Column>();
  const seen = new Set<string>();
  headers.forEach((header, index) => {
    if (header === null) return;
    const renamed = rename[header];
    const column = renamed !== undefined ? byField.get(renamed) : byHeader.get(header.trim().toLowerCase());
    if (!column) return;
    if (seen.has(column.field)) {
      errors.push({ sheet: sheet.name, cell: `${columnLetters(index)}1`, message: `the column "${column.header}" appears twice` });
      return;
    }
    seen.add(column.field);
    found.set(index, column);
  });
  return found;
}

/**
 * Reads an XLSX upload after checking its archive. The archive check counts the cells while inflating, so
 * the workbook ExcelJS then builds in memory is bounded (maxCells); its streaming reader was not used
 * because, in ExcelJS 4.4, it silently skips worksheets of some archives (the ninth of our own export).
 */
export async function readWorkbookRows(file: Buffer): Promise<ImportRow[]> {
  await checkZipLimits(file, {
    maxEntries: IMPORT_LIMITS.maxZipEntries,
    maxUncompressedBytes: IMPORT_LIMITS.maxUncompressedBytes,
    maxCells: IMPORT_LIMITS.maxCells,
  });
  // Loaded on use, like the export's writer: most nodes rarely import or export, and ExcelJS is ~20 MB.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw new ProblemError(400, 'validation_failed', 'The file is not a workbook that can be read.', {
      errors: [{ path: 'body:/file', message: 'is not an .xlsx workbook' }],
    });
  }
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];
  for (const worksheet of workbook.worksheets) {
    const sheet = SHEETS.find((candidate) => candidate.importable && candidate.name === worksheet.name);
    if (!sheet) continue; // Holdings, Deadlines, Documents and foreign sheets are not read
    const valuesOf = (row: ExcelJS.Row) => (row.values as ExcelJS.CellValue[]).slice(1, IMPORT_LIMITS.maxColumns + 1);
    const columns = headerMap(
      sheet,
      valuesOf(worksheet.getRow(1)).map((value) => {
        const plain = plainValue(value ?? null);
        return plain === null ? null : String(plain);
      }),
      errors,
    );
    if (columns.size === 0) {
      errors.push({ sheet: sheet.name, cell: 'A1', message: 'the first row must name the columns' });
      continue;
    }
    worksheet.eachRow((row, number) => {
      if (number === 1) return;
      const values = valuesOf(row);
      const read = rowFrom(sheet, number, columns, (index) => checkedText(plainValue(values[index] ?? null)));
      if (read) rows.push(read);
    });
    if (rows.length > IMPORT_LIMITS.maxRows) throw tooManyRows();
  }
  if (errors.length > 0) throw new ImportFileError(errors);
  return rows;
}

/** A data row, or null when every cell is empty (trailing blank rows are common in edited sheets). */
function rowFrom(sheet: SheetLayout, number: number, columns: Map<number, Column>, valueAt: (index: number) => ImportCell['value']) {
  const cells: ImportRow['cells'] = {};
  let empty = true;
  for (const [index, column] of columns) {
    const value = valueAt(index);
    const blank = value === null || (typeof value === 'string' && value.trim() === '');
    if (!blank) empty = false;
    cells[column.field] = { value: blank ? null : value, ref: `${columnLetters(index)}${number}` };
  }
  if (empty) return null;
  return { sheet, number, cells, ref: `A${number}` };
}

/**
 * Reads a CSV (RFC 4180: commas or semicolons, double quotes, UTF-8 with or without BOM) as rows of the
 * mapped sheet. Cell references are those a spreadsheet shows when it opens the CSV.
 */
export function readCsvRows(file: Buffer, mapping: CsvMapping): ImportRow[] {
  const sheet = SHEETS.find((candidate) => candidate.importable && candidate.name === mapping.sheet);
  if (!sheet) {
    const names = SHEETS.filter((candidate) => candidate.importable).map((candidate) => candidate.name);
    throw new ProblemError(400, 'validation_failed', 'The mapping names no sheet the import reads.', {
      errors: [{ path: 'body:/mapping/sheet', message: `must be one of ${names.join(', ')}` }],
    });
  }
  const fields = new Set(sheet.columns.filter((column) => column.importable).map((column) => column.field));
  const unknown = Object.entries(mapping.columns ?? {}).filter(([, field]) => !fields.has(field));
  if (unknown.length > 0) {
    throw new ProblemError(400, 'validation_failed', 'The mapping names fields the sheet does not have.', {
      errors: unknown.map(([header]) => ({ path: `body:/mapping/columns/${header}`, message: `must be one of ${[...fields].join(', ')}` })),
    });
  }
  const records = parseCsv(file.toString('utf8').replace(/^\uFEFF/, ''));
  const [headers, ...data] = records;
  if (!headers) throw new ImportFileError([{ sheet: sheet.name, cell: 'A1', message: 'the file is empty' }]);
  if (data.length > IMPORT_LIMITS.maxRows) throw tooManyRows();
  const errors: ImportError[] = [];
  const columns = headerMap(sheet, headers.slice(0, IMPORT_LIMITS.maxColumns), errors, mapping.columns);
  if (errors.length > 0) throw new ImportFileError(errors);
  const rows: ImportRow[] = [];
  data.forEach((record, index) => {
    const row = rowFrom(sheet, index + 2, columns, (column) => {
      const value = record[column] ?? null;
      return value === null ? null : (checkedText(value) as string);
    });
    if (row) rows.push(row);
  });
  return rows;
}

/** Splits CSV text into records of fields; the delimiter is whichever of , and ; the header line uses more. */
export function parseCsv(text: string): string[][] {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (records.length > IMPORT_LIMITS.maxRows + 1) throw tooManyRows();
    } else field += char;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell for any CSV the product writes: quoted, and neutralised when it starts with a character a
 * spreadsheet would read as a formula (=, +, -, @, tab, CR) by a leading apostrophe (OWASP: CSV injection).
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value;
  return /[",;\r\n]/.test(text) || text !== String(value) ? `"${text.replaceAll('"', '""')}"` : text;
}
