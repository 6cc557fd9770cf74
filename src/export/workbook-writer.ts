import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { loadExcelJS } from './exceljs.js';
import { columnLetters, LIST_SEPARATOR, NUMBER_FORMATS, type CellKind, type SheetLayout } from './layout.js';

/** A value as the export's queries deliver it, before it is typed for its column. */
export type RawValue = string | number | bigint | boolean | Date | string[] | null | undefined;
export type RawRow = Record<string, RawValue>;

type CellValue = string | number | boolean | Date | null;

// A double keeps 15 significant digits; a larger amount is written as exact text rather than rounded.
const SAFE_DECIMAL = /^-?\d{1,11}(\.\d{1,4})?$/;

/** Types one value for its column: dates as dates, money as numbers, text always as text. */
export function typedCell(kind: CellKind, value: RawValue): CellValue {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'date': {
      const text = String(value);
      const [year, month, day] = text.split('-').map(Number);
      return new Date(Date.UTC(year ?? 1900, (month ?? 1) - 1, day ?? 1));
    }
    case 'timestamp':
      return value instanceof Date ? value : new Date(String(value));
    case 'money':
    case 'percent': {
      const text = String(value);
      return SAFE_DECIMAL.test(text) ? Number(text) : text;
    }
    case 'integer':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'text-list':
      return Array.isArray(value) ? value.join(LIST_SEPARATOR) : String(value);
    default:
      // A plain string is written as a string cell (t="str" with a <v>, no <f>): "=1+1" stays those four
      // characters and is never evaluated. Nothing here ever builds a formula value.
      return String(value);
  }
}

/**
 * A reader may pause this long before the export gives up: the export holds a database connection and its
 * company's turn meanwhile (and PostgreSQL ends a transaction idle for 30 s anyway).
 */
export const STALLED_READER_MS = 20_000;

/**
 * Resolves once the output has room again. ExcelJS's streaming writer does not wait for its reader, so
 * without this a slow client would make the compressed workbook pile up in memory.
 */
async function roomIn(output: Writable): Promise<void> {
  if (output.destroyed) throw new Error('the export was cancelled: its reader went away');
  if (output.writableNeedDrain) {
    const stalled = new AbortController();
    const timer = setTimeout(() => stalled.abort(), STALLED_READER_MS);
    try {
      await Promise.race([once(output, 'drain', { signal: stalled.signal }), once(output, 'close', { signal: stalled.signal })]);
    } catch {
      throw new Error('the export was cancelled: its reader stopped reading');
    } finally {
      clearTimeout(timer);
      stalled.abort();
    }
  }
  if (output.destroyed) throw new Error('the export was cancelled: its reader went away');
}

/**
 * ExcelJS hands a sheet's XML to its zip compressor in pieces of this size, and the compressor (zlib on the
 * thread pool) starts on the next piece only when the event loop gets a turn. Rows written in one go
 * (a whole page) would leave all but one of their pieces waiting in memory, uncompressed — tens of MB
 * over a large sheet, while the reply stream stays empty and `roomIn` sees no reason to wait. So the
 * writer gives the event loop a turn after about one piece of XML.
 */
const COMPRESSOR_PIECE_BYTES = 64 * 1024;

const compressorTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A row's size in sheet XML, roughly: its text plus the markup of each cell (`<c r="AB123" s="1" t="str"><v>…</v></c>`). */
function approximateXmlBytes(cells: CellValue[]): number {
  let bytes = 20;
  for (const cell of cells) bytes += 40 + (typeof cell === 'string' ? cell.length : 16);
  return bytes;
}

export interface WorkbookStream {
  /** Writes one sheet from pages of rows (each page an array), header first, then the rows in order. */
  writeSheet(layout: SheetLayout, pages: AsyncIterable<RawRow[]>): Promise<number>;
  /** Writes the workbook's closing parts; the output ends when they are out. */
  finish(): Promise<void>;
}

/** A streaming workbook into `output`: only the current page of rows and the compressor's window are held. */
export async function workbookStream(output: Writable): Promise<WorkbookStream> {
  const ExcelJS = await loadExcelJS();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Pactum';
  return {
    async writeSheet(layout, pages) {
      const sheet = workbook.addWorksheet(layout.name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
      sheet.columns = layout.columns.map((column) => ({
        key: column.field,
        width: column.width,
        style: NUMBER_FORMATS[column.kind] ? { numFmt: NUMBER_FORMATS[column.kind] } : {},
      }));
      const header = sheet.addRow(layout.columns.map((column) => column.header));
      header.font = { bold: true };
      header.commit();
      let rows = 0;
      let unzipped = 0;
      for await (const page of pages) {
        for (const raw of page) {
          const cells = layout.columns.map((column) => typedCell(column.kind, raw[column.field]));
          sheet.addRow(cells).commit();
          unzipped += approximateXmlBytes(cells);
          if (unzipped >= COMPRESSOR_PIECE_BYTES) {
            unzipped = 0;
            await compressorTurn();
          }
        }
        rows += page.length;
        await roomIn(output);
      }
      sheet.autoFilter = `A1:${columnLetters(layout.columns.length - 1)}${rows + 1}`;
      sheet.commit();
      return rows;
    },
    async finish() {
      await workbook.commit();
    },
  };
}

/** Pages of a keyset-paged query: `next` gets the last row of the previous page (null at first). */
export async function* pagesOf<Row>(
  read: (last: Row | null) => Promise<Row[]>,
  toRaw: (row: Row) => RawRow,
  pageSize: number,
): AsyncGenerator<RawRow[]> {
  let last: Row | null = null;
  for (;;) {
    const rows = await read(last);
    if (rows.length > 0) yield rows.map(toRaw);
    if (rows.length < pageSize) return;
    last = rows[rows.length - 1] ?? null;
  }
}
