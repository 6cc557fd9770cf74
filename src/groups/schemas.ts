import { Type } from '@sinclair/typebox';
import { ListQuery, MultiLine, Nullable, SingleLine, Uuid, listOf } from '../http/schema-types.js';

// Bounds mirror the access_groups CHECK constraints (0002), so the database never has to refuse a length.
const Name = SingleLine({ minLength: 1, maxLength: 100, nonBlank: true });
const Description = MultiLine({ maxLength: 1000 });

export const GroupInput = Type.Object({ name: Name, description: Type.Optional(Nullable(Description)) }, { additionalProperties: false });
export const GroupPatch = Type.Partial(GroupInput, { additionalProperties: false, minProperties: 1 });
export const GroupListQuery = Type.Object({ ...ListQuery }, { additionalProperties: false });
export const MemberParams = Type.Object({ id: Uuid, userId: Uuid });

export const Group = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Nullable(Type.String()),
  /** Active users only: a revoked user's membership grants nothing and is not shown. */
  memberIds: Type.Array(Uuid),
  createdAt: Type.String(),
});
export const GroupList = listOf(Group);
