import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from './schema.js';

export type Tx = Transaction<Schema>;

export interface TenantContext {
  tenantId: string;
  userId: string | null;
}

/**
 * Runs work in one transaction as pactum_app with the tenant (and user) of the caller. Settings are
 * transaction-local (set_config(…, true)) so a pooled connection never carries them to the next request;
 * the values travel as bind parameters, never spliced into SQL.
 */
export function inTenant<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(async (tx) => {
    await sql`SELECT set_config('role', 'pactum_app', true),
                     set_config('pactum.tenant_id', ${context.tenantId}, true),
                     set_config('pactum.user_id', ${context.userId ?? ''}, true)`.execute(tx);
    return work(tx);
  });
}

/**
 * Runs work as pactum_app with no tenant yet: every tenant table looks empty, and only the SECURITY
 * DEFINER doors (find a login, enter a session, …) reach across tenants. A door may then set the tenant.
 */
export function asAppWithoutTenant<T>(kysely: Kysely<Schema>, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(async (tx) => {
    await sql`SELECT set_config('role', 'pactum_app', true)`.execute(tx);
    return work(tx);
  });
}

/** Switches an open app transaction to a tenant, e.g. once a challenge id has told us which one. */
export async function enterTenant(tx: Tx, context: TenantContext): Promise<void> {
  await sql`SELECT set_config('pactum.tenant_id', ${context.tenantId}, true),
                   set_config('pactum.user_id', ${context.userId ?? ''}, true)`.execute(tx);
}
