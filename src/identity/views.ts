import type { Selectable } from 'kysely';
import type { UsersTable } from '../db/schema.js';
import { phoneHint } from './phone.js';

/** The public shape of a user (API.md `user`): the phone only as a hint, never the number. */
export function userView(user: Selectable<UsersTable>) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    phoneHint: user.phone_e164 ? phoneHint(user.phone_e164) : null,
    role: user.role,
    status: user.status,
  };
}

export type UserView = ReturnType<typeof userView>;

export function tenantView(tenant: { id: string; name: string }) {
  return { id: tenant.id, name: tenant.name };
}
