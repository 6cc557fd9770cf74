import { Type } from '@sinclair/typebox';
import { ListQuery, listOf, Uuid } from '../http/schema-types.js';
import { Challenge, Email, LinkToken, Name, Password, Phone, User } from '../identity/schemas.js';

const Role = Type.Union([Type.Literal('master'), Type.Literal('member')]);
const UserStatus = Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('revoked')]);

export const UserListQuery = Type.Object({ ...ListQuery, status: Type.Optional(UserStatus) }, { additionalProperties: false });
export const UserWithGroups = Type.Object({ ...User.properties, groupIds: Type.Array(Type.String()) });
export const UserList = listOf(UserWithGroups);

export const InviteBody = Type.Object({ name: Name, email: Email, role: Type.Optional(Role) }, { additionalProperties: false });
export const Invitation = Type.Object({ url: Type.String(), expiresAt: Type.String() });
export const InviteResponse = Type.Object({ user: User, invitation: Invitation });

export const UserPatch = Type.Object(
  { name: Type.Optional(Name), role: Type.Optional(Role) },
  { additionalProperties: false, minProperties: 1 },
);

export const RevokeBody = Type.Object({ successorId: Type.Optional(Uuid) }, { additionalProperties: false });
export const RevokeResponse = Type.Object({ user: User, handedOver: Type.Object({ contracts: Type.Integer() }) });

export const InvitationParams = Type.Object({ token: LinkToken });
export const AcceptBody = Type.Object({ password: Password, phone: Phone }, { additionalProperties: false });
export const ChallengeResponse = Type.Object({ challenge: Challenge });
export { User };

export const Session = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  clientIp: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});
export const SessionList = listOf(Session);
export const SessionListQuery = Type.Object(ListQuery, { additionalProperties: false });
export const SessionsEnded = Type.Object({ ended: Type.Integer() });
