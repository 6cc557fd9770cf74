import { Type } from '@sinclair/typebox';
import { MAX_PAGE_SIZE } from '../http/list-bounds.js';
import { Uuid } from '../http/schema-types.js';

/**
 * A bare array, as API.md shows it, but never a longer one than a page: a deadline list is read soonest
 * first, so the cap cuts the far end of the window, and by default only where a tenant has more than 500
 * deadlines in it.
 */
export const MAX_DEADLINES = MAX_PAGE_SIZE;

export const DeadlineQuery = Type.Object(
  {
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90 })),
    // The soonest `limit` deadlines; a caller who gets exactly `limit` asks for a shorter window.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEADLINES, default: MAX_DEADLINES })),
  },
  { additionalProperties: false },
);

export const Deadline = Type.Object({
  contractId: Uuid,
  title: Type.String(),
  vendor: Type.Object({ id: Uuid, name: Type.String() }),
  type: Type.Union([Type.Literal('notice'), Type.Literal('end')]),
  date: Type.String(),
});
export const DeadlineList = Type.Array(Deadline, { maxItems: MAX_DEADLINES });
