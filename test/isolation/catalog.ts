import { sql, type Kysely } from 'kysely';
import { inTenant, type TenantContext, type Tx } from '../../src/db/tenant-context.js';
import type { Schema } from '../../src/db/schema.js';
import type { TestDatabase } from '../helpers/test-database.js';

/** The tables every isolation test must find; discovery that returns fewer is broken, not "all clear". */
export const CORE_TENANT_TABLES = ['tenants', 'users', 'sessions', 'otp_challenges'];
export const CORE_SEALED_TABLES = ['account_emails', 'otp_deliveries', 'rate_limit_hits', 'login_failures'];

/** The policy pactum_isolate_tenant_table() writes, as PostgreSQL prints it back. */
const TENANT_POLICY_EXPRESSION = /^\((\w+) = pactum_current_tenant\(\)\)$/;

export interface TenantTable {
  name: string;
  /** The column the tenant_isolation policy compares with pactum_current_tenant() (tenant_id; id for tenants). */
  tenantColumn: string;
  forced: boolean;
  permissive: boolean;
  /** polcmd: '*' is FOR ALL. */
  command: string;
  appliesToPublic: boolean;
  using: string | null;
  withCheck: string | null;
}

/**
 * Tenant tables as the catalog knows them: tables in public with row-level security enabled and a policy
 * named tenant_isolation. The tenant column is read from the policy itself, so nothing here is a list.
 */
export async function tenantTables(db: TestDatabase): Promise<TenantTable[]> {
  const rows = await db.asOwner<{
    name: string;
    forced: boolean;
    permissive: boolean;
    command: string;
    to_public: boolean;
    using: string | null;
    with_check: string | null;
  }>(`
    SELECT c.relname AS name, c.relforcerowsecurity AS forced, p.polpermissive AS permissive, p.polcmd::text AS command,
           p.polroles = '{0}'::oid[] AS to_public,
           pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
      FROM pg_class c
      JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
     ORDER BY c.relname`);
  return rows.map((row) => {
    const match = TENANT_POLICY_EXPRESSION.exec(row.using ?? '');
    if (!match) throw new Error(`tenant_isolation on ${row.name} does not compare a column with pactum_current_tenant(): ${row.using}`);
    return {
      name: row.name,
      tenantColumn: match[1]!,
      forced: row.forced,
      permissive: row.permissive,
      command: row.command,
      appliesToPublic: row.to_public,
      using: row.using,
      withCheck: row.with_check,
    };
  });
}

/** Tables in public (other than pactum_migrations) with no tenant_isolation policy: reachable only through the doors. */
export async function globalTables(db: TestDatabase): Promise<{ name: string; rowSecurity: boolean }[]> {
  return db.asOwner(`
    SELECT c.relname AS name, c.relrowsecurity AS "rowSecurity"
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname <> 'pactum_migrations'
       AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')
     ORDER BY c.relname`);
}

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Rows per tenant as the owner sees them (the owner bypasses RLS): the truth the app's view is compared with. */
export async function ownerCounts(db: TestDatabase, table: TenantTable): Promise<Map<string, number>> {
  const rows = await db.asOwner<{ tenant: string; n: number }>(
    `SELECT ${ident(table.tenantColumn)}::text AS tenant, count(*)::int AS n FROM ${ident(table.name)} GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.tenant, Number(row.n)]));
}

/** SQLSTATE of the error the work fails with, or 'no error'. */
export async function sqlStateOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    const { code } = error as { code?: unknown };
    return typeof code === 'string' ? code : `no SQLSTATE: ${String(error)}`;
  }
  return 'no error';
}

/** The error message the work fails with ('' if it succeeds). */
export async function errorMessageOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return '';
}

class RollBack extends Error {}

/** Runs work as the app in the tenant, then rolls the transaction back whatever happened. */
export async function inTenantRolledBack<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  let result: { value: T } | null = null;
  try {
    await inTenant(kysely, context, async (tx) => {
      result = { value: await work(tx) };
      throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  return result!.value;
}

/**
 * Runs work in a transaction that starts as the owner (for example to GRANT something temporarily) and is
 * always rolled back, so nothing it does outlives the test.
 */
/** kysely: TestDatabase.owner. Embedded, its session runs as pactum_app: the transaction steps out first. */
export async function asOwnerRolledBack<T>(kysely: Kysely<Schema>, work: (tx: Tx) => Promise<T>): Promise<T> {
  let result: { value: T } | null = null;
  try {
    await kysely.transaction().execute(async (tx) => {
      await sql`SET LOCAL ROLE NONE`.execute(tx);
      result = { value: await work(tx) };
      throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  return result!.value;
}

/** Switches an open transaction to the app role with a tenant, transaction-locally. */
export async function becomeApp(tx: Tx, tenantId: string | null): Promise<void> {
  await sql`SELECT set_config('role', 'pactum_app', true), set_config('pactum.tenant_id', ${tenantId ?? ''}, true)`.execute(tx);
}
