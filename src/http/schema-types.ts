import { Type, type TSchema } from '@sinclair/typebox';
import type { LicenceMetric } from '../db/schema.js';

/** Shared wire types (API.md conventions): every string bounded, every number ranged. */

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in a name or a
// title, and a line break there lets a company name write lines of its own into mails and logs.
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';
// Multi-line text keeps tab, line feed and carriage return, nothing else of the controls.
const MULTI_LINE_CONTROL = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f';

/**
 * A single-line text field (names, company names, titles, references, search terms): no control
 * characters at all, 400 validation_failed otherwise. `nonBlank` also needs one visible character.
 */
export function SingleLine(options: { maxLength: number; minLength?: number; nonBlank?: boolean }) {
  const { nonBlank, ...bounds } = options;
  const pattern = nonBlank ? `^[^${CONTROL}]*[^\\s${CONTROL}][^${CONTROL}]*$` : `^[^${CONTROL}]*$`;
  return Type.String({ ...bounds, pattern });
}

/** Multi-line text (notes, terms, descriptions): line breaks and tabs, but no other control characters. */
export function MultiLine(options: { maxLength: number; minLength?: number }) {
  return Type.String({ ...options, pattern: `^[^${MULTI_LINE_CONTROL}]*$` });
}

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });

/** Decimal strings, never JSON numbers: up to 15 integer and 4 fraction digits. */
export const Money = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$', maxLength: 20 });
export const Percent = Type.String({ pattern: '^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$', maxLength: 8 });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 });

/**
 * Dates and timestamps, bounded to what PostgreSQL stores and every client prints: years 1900 to 9999
 * (PostgreSQL refuses year 0 with a 500-worthy error, and a five-digit year breaks ISO 8601 readers).
 * The pattern bounds the shape and the years; the format checks the calendar (no 2023-02-29, no 04-31).
 * A timestamp has seconds, at most nine fraction digits and Z or a real-world UTC offset (up to ±14:00;
 * PostgreSQL refuses offsets over 15:59). Every date and timestamp field uses one of these two.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 9999;
const YEAR = '(19[0-9]{2}|[2-9][0-9]{3})';
const MONTH_DAY = '(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?';
const OFFSET = '(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)';
/** `YYYY-MM-DD`, a real calendar day from 1900-01-01 to 9999-12-31. */
export const DateString = Type.String({ format: 'date', pattern: `^${YEAR}-${MONTH_DAY}$`, maxLength: 10 });
/** ISO 8601 / RFC 3339 with `T`, e.g. `2026-11-30T04:00:00Z` or `…+01:00`, its date as in DateString. */
export const Timestamp = Type.String({ format: 'date-time', pattern: `^${YEAR}-${MONTH_DAY}T${TIME}${OFFSET}$`, maxLength: 35 });
export const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
export const BlockSize = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });

export const licenceMetrics = [
  'user',
  'named_user',
  'concurrent_user',
  'device',
  'core',
  'processor',
  'server',
  'instance',
  'site',
  'enterprise',
  'subscription',
  'other',
] as const satisfies readonly LicenceMetric[];
export const Metric = Type.Unsafe<LicenceMetric>({ type: 'string', enum: [...licenceMetrics] });

/** A 204 answer: no body. Documents the success response; nothing to serialize. */
export const NoContent = Type.Null({ description: 'Done; no content.' });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
};

export const listOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
