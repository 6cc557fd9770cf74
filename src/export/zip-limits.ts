import { createInflateRaw } from 'node:zlib';
import { ProblemError } from '../http/problem.js';

/**
 * An XLSX file is a ZIP archive, and a ZIP archive can unpack to a thousand times its size (a "zip bomb").
 * Before any spreadsheet parser sees an upload, this walks the archive itself: a bounded number of entries,
 * every byte of the file accounted for by a listed entry (so no hidden entry can reach a streaming parser
 * that reads local headers), no encryption or ZIP64, and each entry actually inflated — counting the bytes
 * that come out, never trusting the sizes the archive declares — until the total passes the limit.
 */
export interface ZipLimits {
  /** Entries in the archive (an export has about 20). */
  maxEntries: number;
  /** Bytes all entries unpack to together. */
  maxUncompressedBytes: number;
  /** Cells (`<c` elements) all worksheets hold together, counted while inflating. */
  maxCells: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;

const refused = (detail: string) => new ProblemError(413, 'payload_too_large', detail);
const broken = (detail: string) =>
  new ProblemError(400, 'validation_failed', 'The file is not a workbook that can be read.', {
    errors: [{ path: 'body:/file', message: detail }],
  });

interface Entry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  declaredSize: number;
  localOffset: number;
}

function endOfCentralDirectory(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - 22 - 0xffff);
  for (let offset = zip.length - 22; offset >= earliest; offset -= 1) {
    if (zip.readUInt32LE(offset) === EOCD) return offset;
  }
  throw broken('is not a ZIP archive (an .xlsx file is one)');
}

function centralEntries(zip: Buffer, limits: ZipLimits): { entries: Entry[]; centralOffset: number } {
  const eocd = endOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  const centralSize = zip.readUInt32LE(eocd + 12);
  const centralOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || centralOffset === 0xffffffff) throw broken('uses ZIP64, which a workbook of this size never needs');
  if (count > limits.maxEntries) throw refused(`The file has ${count} parts; a workbook may have at most ${limits.maxEntries}.`);
  if (centralOffset + centralSize > eocd) throw broken('has a damaged directory');
  const entries: Entry[] = [];
  let at = centralOffset;
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > eocd || zip.readUInt32LE(at) !== CENTRAL) throw broken('has a damaged directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      declaredSize: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { entries, centralOffset };
}

/** Where an entry's data starts and where its record (with any data descriptor) ends. */
function localSpan(zip: Buffer, entry: Entry): { dataStart: number; end: number } {
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) throw broken(`has a damaged entry (${entry.name})`);
  const dataStart = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  let end = dataStart + entry.compressedSize;
  if (entry.flags & 0x8) end += end + 4 <= zip.length && zip.readUInt32LE(end) === DESCRIPTOR ? 16 : 12;
  if (end > zip.length) throw broken(`has a damaged entry (${entry.name})`);
  return { dataStart, end };
}

const CELL_START = /<c[\s/>]/g;

/** Counts `<c` elements in a chunk, with the tail of the previous chunk so none is cut in two. */
function cellsIn(text: string): number {
  return text.match(CELL_START)?.length ?? 0;
}

/** Inflates one entry's data, counting output bytes (and cells); stops as soon as the budget is spent. */
function inflatedSize(data: Buffer, budget: number, countCells: boolean): Promise<{ size: number; cells: number }> {
  return new Promise((resolve, reject) => {
    const inflate = createInflateRaw();
    let size = 0;
    let cells = 0;
    let tail = '';
    inflate.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (countCells) {
        const text = tail + chunk.toString('latin1');
        cells += cellsIn(text) - cellsIn(tail);
        tail = text.slice(-2);
      }
      if (size > budget) {
        inflate.destroy();
        resolve({ size, cells });
      }
    });
    inflate.on('end', () => resolve({ size, cells }));
    inflate.on('error', () => reject(broken('has an entry that does not unpack')));
    inflate.end(data);
  });
}

/** Throws 413 or 400 unless the archive stays within the limits (checked while inflating every entry). */
export async function checkZipLimits(zip: Buffer, limits: ZipLimits): Promise<void> {
  if (zip.length < 22) throw broken('is not a ZIP archive (an .xlsx file is one)');
  const { entries, centralOffset } = centralEntries(zip, limits);
  // Every byte before the directory belongs to exactly one listed entry, in order: nothing hidden.
  const spans = entries.map((entry) => ({ entry, ...localSpan(zip, entry) })).sort((a, b) => a.entry.localOffset - b.entry.localOffset);
  let expected = 0;
  for (const span of spans) {
    if (span.entry.localOffset !== expected) throw broken('has data outside its listed entries');
    expected = span.end;
  }
  if (expected !== centralOffset) throw broken('has data outside its listed entries');

  let total = 0;
  let cells = 0;
  const worksheet = (name: string) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name);
  for (const { entry, dataStart } of spans) {
    if (entry.flags & 0x1) throw broken('is encrypted');
    const data = zip.subarray(dataStart, dataStart + entry.compressedSize);
    const budget = limits.maxUncompressedBytes - total;
    let size: number;
    if (entry.method === 0) {
      size = data.length;
      if (worksheet(entry.name)) cells += cellsIn(data.toString('latin1'));
    } else if (entry.method === 8) {
      const inflated = await inflatedSize(data, budget, worksheet(entry.name));
      size = inflated.size;
      cells += inflated.cells;
    } else throw broken(`uses a compression method (${entry.method}) workbooks do not use`);
    total += size;
    if (total > limits.maxUncompressedBytes)
      throw refused(`The file unpacks to more than ${limits.maxUncompressedBytes} bytes; split it into smaller files.`);
    if (cells > limits.maxCells) throw refused(`The file has more than ${limits.maxCells} cells; split it into smaller files.`);
    if (size !== entry.declaredSize) throw broken(`has an entry whose size does not match its directory (${entry.name})`);
  }
}
