import { ProblemError } from './problem.js';

/**
 * Keyset pagination: the cursor is the sort key of the last row, opaque to clients (base64url JSON).
 * Stable under inserts, and a page costs the same wherever it starts.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Cursor {
  /** The sort key of the last row (a timestamp, a name …), compared together with the id. */
  key: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string | undefined): Cursor | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      if (parsed[0].length <= 300 && UUID.test(parsed[1])) return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the 400 below
  }
  throw invalidCursor();
}

export const invalidCursor = () =>
  new ProblemError(400, 'validation_failed', 'The cursor is not valid.', {
    errors: [{ path: 'querystring:/cursor', message: 'is not a cursor from this API' }],
  });

/** Given limit + 1 rows, returns one page and the cursor of its last row when more follow. */
export function page<Row>(rows: Row[], limit: number, keyOf: (row: Row) => Cursor) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
