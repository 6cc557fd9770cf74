import { Type } from '@sinclair/typebox';
import { BillingSummary } from '../billing/schemas.js';
import { SingleLine } from '../http/schema-types.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
// The policy itself measures code points after NFKC; this only bounds what we accept over the wire.
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Name = SingleLine({ minLength: 1, maxLength: 200, nonBlank: true });
const Phone = SingleLine({ minLength: 1, maxLength: 32 });
const ChannelSchema = Type.Union([Type.Literal('sms'), Type.Literal('voice')]);

export const SignupBody = Type.Object(
  { companyName: Name, name: Name, email: Email, phone: Phone, password: Password },
  { additionalProperties: false },
);
export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export const VerifyBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export const ResendBody = Type.Object({ channel: Type.Optional(ChannelSchema) }, { additionalProperties: false });
export const ChangePasswordBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });
export const ChallengeParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const PasswordResetBody = Type.Object({ email: Email }, { additionalProperties: false });
/** Link tokens are 43 base64url characters; anything else is simply an unknown (expired) link. */
export const LinkToken = Type.String({ minLength: 1, maxLength: 200 });
export const PasswordResetConfirmBody = Type.Object({ token: LinkToken, newPassword: Password }, { additionalProperties: false });
export const PasswordResetAccepted = Type.Object({ detail: Type.String() });
export const PhoneChangeBody = Type.Object({ currentPassword: Password, newPhone: Phone }, { additionalProperties: false });
export { Email, Name, Password, Phone };

export const Challenge = Type.Object({
  id: Type.String(),
  channel: ChannelSchema,
  phoneHint: Type.String(),
  expiresAt: Type.String(),
  availableChannels: Type.Array(ChannelSchema),
});
export const ChallengeResponse = Type.Object({ challenge: Challenge });

export const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  phoneHint: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('master'), Type.Literal('member')]),
  status: Type.String(),
});
export const Tenant = Type.Object({ id: Type.String(), name: Type.String() });
/** `challenge`: after the old number's code of a phone change, the code sent to the new number (verify it next). */
export const VerifiedResponse = Type.Object({ user: User, tenant: Tenant, challenge: Type.Optional(Challenge) });
export const MeResponse = Type.Object({
  user: User,
  tenant: Type.Object({ id: Type.String(), name: Type.String(), billing: BillingSummary }),
  groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
});
