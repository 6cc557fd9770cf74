import { SHEETS } from '../../../../src/export/layout';

/** The sheets an import reads and their importable fields: the server's own layout (src/export/layout.ts). */
export const IMPORTABLE_SHEETS = SHEETS.filter((sheet) => sheet.importable).map((sheet) => ({
  name: sheet.name,
  fields: sheet.columns.filter((column) => column.importable).map((column) => ({ field: column.field, header: column.header })),
}));

/** The header line of a CSV (commas or semicolons, whichever the line uses more, as the server decides). */
export function csvHeaders(text: string): string[] {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const headers: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < firstLine.length; i += 1) {
    const char = firstLine[i]!;
    if (quoted) {
      if (char === '"' && firstLine[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      headers.push(field);
      field = '';
    } else field += char;
  }
  headers.push(field);
  return headers.filter((header) => header.trim() !== '');
}

/** A first guess per header: the sheet's field whose header or name it is (case-insensitive), else none. */
export function guessMapping(sheetName: string, headers: string[]): Record<string, string> {
  const sheet = IMPORTABLE_SHEETS.find((candidate) => candidate.name === sheetName);
  const mapping: Record<string, string> = {};
  for (const header of headers) {
    const key = header.trim().toLowerCase();
    const match = sheet?.fields.find((field) => field.header.toLowerCase() === key || field.field.toLowerCase() === key);
    if (match) mapping[header] = match.field;
  }
  return mapping;
}
