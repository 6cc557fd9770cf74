import type { DocumentContentType } from '../db/schema.js';
import { EXTENSIONS } from './magic-bytes.js';

export const MAX_FILENAME_LENGTH = 255;

// C0 and C1 controls and DEL; bidirectional overrides and isolates, which make "invoice\u202Efdp.exe" look
// like "invoiceexe.pdf"; zero-width characters and the BOM.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// Quotes would break out of a quoted header parameter; the rest are reserved in Windows filenames.
const RESERVED = /["'`<>:|?*]/g;
// A lone surrogate cannot be encoded as UTF-8 (encodeURIComponent would throw on it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A display name that is safe to store, show and hand back in Content-Disposition: the last path
 * component only, no control, bidi or quote characters, at most 255 characters, and an extension that
 * matches what the bytes are — a PNG uploaded as "scan.pdf" is kept as "scan.pdf.png", so the name
 * never tells the operating system to open the file as something it is not.
 */
export function sanitizeFilename(raw: string | undefined, type: DocumentContentType): string {
  const { canonical, accepted } = EXTENSIONS[type];
  let name = (raw ?? '').replace(LONE_SURROGATE, '\ufffd').normalize('NFC');
  name = name.split(/[/\\]/).at(-1) ?? '';
  name = name.replace(INVISIBLE, '').replace(RESERVED, '').replace(/\s+/g, ' ');
  // No hidden files, no "..", and no trailing dots or spaces (Windows drops them, changing the extension).
  name = name.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (name === '') return `document.${canonical}`;

  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const suffix = accepted.includes(extension) ? name.slice(dot) : `.${canonical}`;
  const stem = accepted.includes(extension) ? name.slice(0, dot) : name;
  return truncateStem(stem, suffix);
}

/** Cuts by code points (what PostgreSQL's length() counts), never inside a surrogate pair. */
function truncateStem(stem: string, suffix: string): string {
  const room = MAX_FILENAME_LENGTH - [...suffix].length;
  const points = [...stem];
  const kept =
    points.length > room
      ? points
          .slice(0, room)
          .join('')
          .replace(/[\s.]+$/, '')
      : stem;
  return `${kept || 'document'}${suffix}`;
}

/**
 * `attachment` with both forms of the name (RFC 6266): an ASCII fallback for old clients and the exact
 * UTF-8 name as RFC 8187 `filename*`. The name was sanitised on upload; it is escaped again here anyway.
 */
export function contentDisposition(filename: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  return `${disposition}; filename="${asciiFallback(filename)}"; filename*=UTF-8''${encodeRfc8187(filename)}`;
}

function asciiFallback(filename: string): string {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Only printable ASCII survives; '%' too would invite clients to percent-decode the fallback.
    .replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return ascii.trim() === '' ? 'document' : ascii;
}

/** attr-char of RFC 8187: encodeURIComponent leaves ' ( ) * unescaped, which attr-char does not allow. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
