import { Type } from '@sinclair/typebox';
import { DateString, ListQuery, Nullable, Timestamp, Uuid, listOf } from '../http/schema-types.js';
import { AUDIT_ACTIONS } from './actions.js';

/** A day (`2026-11-30`, in UTC) or an exact moment (`2026-11-30T08:00:00Z`, `…+01:00`). */
const DayOrMoment = Type.Union([DateString, Timestamp]);

export const AuditEventQuery = Type.Object(
  {
    ...ListQuery,
    actorId: Type.Optional(Uuid),
    /** An exact action (`group.member_added`) or a family of them (`group.*`). */
    action: Type.Optional(Type.String({ maxLength: 102, pattern: '^[a-z][a-z_.]{0,99}(\\.\\*)?$' })),
    /**
     * Bounds on the time of the event: `from` inclusive, `to` exclusive for a timestamp. A day means the
     * whole day in UTC: `from` its first moment, `to` its last (`from=2026-11-01&to=2026-11-30` is November).
     */
    from: Type.Optional(DayOrMoment),
    to: Type.Optional(DayOrMoment),
  },
  { additionalProperties: false },
);

export const AuditEvent = Type.Object({
  id: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  occurredAt: Type.String(),
  actorId: Nullable(Uuid),
  action: Type.String(),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  clientIp: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export const AuditEventList = listOf(AuditEvent);

/** The actions the code records, for the audit trail's action filter (a fixed list, see actions.ts). */
export const AuditActionList = Type.Object({
  items: Type.Array(Type.String(), { maxItems: AUDIT_ACTIONS.length }),
});
