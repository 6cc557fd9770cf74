import { Type } from '@sinclair/typebox';
import { ListQuery, Nullable, Timestamp, Uuid, listOf } from '../http/schema-types.js';

export const AuditEventQuery = Type.Object(
  {
    ...ListQuery,
    actorId: Type.Optional(Uuid),
    /** An exact action (`group.member_added`) or a family of them (`group.*`). */
    action: Type.Optional(Type.String({ maxLength: 102, pattern: '^[a-z][a-z_.]{0,99}(\\.\\*)?$' })),
    /** Inclusive lower and exclusive upper bound on the time of the event. */
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
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
