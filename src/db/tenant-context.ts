import { sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { deferStatement } from './deferred-statements.js';
import type { Schema } from './schema.js';

export type Tx = Transaction<Schema>;

export interface TenantContext {
  tenantId: string;
  userId: string | null;
}

/**
 * Runs work in one transaction as pactum_app with the tenant (and user) of the caller. Settings are
 * transaction-local (set_config(…, true)) so a pooled connection never carries them to the next request;
 * the values travel as bind parameters, never spliced into SQL. The settings travel with the work's first
 * statement (deferStatement): if they fail, the database refuses that statement too.
 */
export function inTenant<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(async (tx) => {
    await deferContext(tx, tenantSettings(context));
    return work(tx);
  });
}

/**
 * inTenant for work that only reads: the transaction is READ ONLY after the settings and, on PostgreSQL,
 * runs statement by statement with the settings in front of each, one round trip per statement
 * (src/db/postgres-dialect.ts). It is how a scoped read runs, with settings in place of the session check.
 */
export function readInTenant<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely
    .transaction()
    .setAccessMode('read only')
    .execute(async (tx) => {
      await deferContext(tx, tenantSettings(context));
      return work(tx);
    });
}

const tenantSettings = (context: TenantContext) =>
  sql`SELECT set_config('role', 'pactum_app', true),
             set_config('pactum.tenant_id', ${context.tenantId}, true),
             set_config('pactum.user_id', ${context.userId ?? ''}, true)`;

/** Sends a context statement ahead of the next one; its failure surfaces through that statement. */
async function deferContext(tx: Tx, statement: { compile(executor: Tx): CompiledQuery }): Promise<void> {
  const { answer } = await deferStatement(tx, statement.compile(tx));
  answer.catch(() => {});
}

/**
 * Runs work as pactum_app with no tenant yet: every tenant table looks empty, and only the SECURITY
 * DEFINER doors (find a login, enter a session, …) reach across tenants. A door may then set the tenant.
 */
export function asAppWithoutTenant<T>(kysely: Kysely<Schema>, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(async (tx) => {
    await deferContext(tx, sql`SELECT set_config('role', 'pactum_app', true)`);
    return work(tx);
  });
}

/** Switches an open app transaction to a tenant, e.g. once a challenge id has told us which one. */
export async function enterTenant(tx: Tx, context: TenantContext): Promise<void> {
  await deferContext(
    tx,
    sql`SELECT set_config('pactum.tenant_id', ${context.tenantId}, true),
               set_config('pactum.user_id', ${context.userId ?? ''}, true)`,
  );
}
