import { Type } from '@sinclair/typebox';
import { Uuid } from '../http/schema-types.js';

export const DeadlineQuery = Type.Object(
  { withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90 })) },
  { additionalProperties: false },
);

export const Deadline = Type.Object({
  contractId: Uuid,
  title: Type.String(),
  vendor: Type.Object({ id: Uuid, name: Type.String() }),
  type: Type.Union([Type.Literal('notice'), Type.Literal('end')]),
  date: Type.String(),
});
export const DeadlineList = Type.Array(Deadline);
