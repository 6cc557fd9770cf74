import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Schema } from './schema.js';

export type Tx = Transaction<Schema>;

export interface TenantContext {
  tenantId: string;
  userId: string | null;
}

/**
 * The statements that set a transaction's context, and the only ones a driver may send without waiting for
 * their answer: the PostgreSQL driver sends them with the next statement, in one round trip, and prepares
 * each once per connection (src/db/postgres-dialect.ts); the embedded one runs them at once. A fixed set,
 * so what a connection holds prepared cannot grow. Their answers are never read; a failure surfaces
 * through the statement after them, which the database then refuses.
 *
 * Nothing here switches role: every connection of the service already runs as pactum_app (src/db/engine.ts).
 */
export const CONTEXT_STATEMENTS = {
  /** Transaction-local (safe with pooled connections); values are bind parameters, never spliced into SQL. */
  tenant: "SELECT set_config('pactum.tenant_id', $1, true), set_config('pactum.user_id', $2, true)",
  /** Raises for a dead session (migration 0007) and otherwise sets the session's tenant and user. */
  session: 'SELECT FROM pactum_require_session($1, $2)',
  /** After the context: the session check records activity, so it must come first. */
  readOnly: 'SET TRANSACTION READ ONLY',
} as const;

const tenantSettings = (context: TenantContext) => CompiledQuery.raw(CONTEXT_STATEMENTS.tenant, [context.tenantId, context.userId ?? '']);

/** Runs work in one transaction with the tenant (and user) of the caller; the settings travel with its first statement. */
export function inTenant<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(async (tx) => {
    await tx.executeQuery(tenantSettings(context));
    return work(tx);
  });
}

/**
 * A scoped read: the context, then READ ONLY, then the work, in one transaction; on PostgreSQL all three go
 * to the server with the work's first statement, and the COMMIT is not waited for. If the context fails,
 * the database refuses the work and the read fails with the context's error.
 */
function scopedRead<T>(
  kysely: Kysely<Schema>,
  context: CompiledQuery,
  work: (tx: Tx) => Promise<T>,
  isolation: 'read committed' | 'repeatable read' = 'read committed',
): Promise<T> {
  const transaction = isolation === 'read committed' ? kysely.transaction() : kysely.transaction().setIsolationLevel(isolation);
  return transaction.execute(async (tx) => {
    await tx.executeQuery(context);
    await tx.executeQuery(CompiledQuery.raw(CONTEXT_STATEMENTS.readOnly));
    return work(tx);
  });
}

/** A scoped read in a known tenant (jobs, and the benchmark's reference for what isolation costs). */
export function readInTenant<T>(kysely: Kysely<Schema>, context: TenantContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return scopedRead(kysely, tenantSettings(context), work);
}

/**
 * A scoped read for the holder of a session (SessionGuard.scoped): a dead session fails it with SQLSTATE
 * 28000 — even when the work failed first, or sent nothing — and nothing sent behind the check runs.
 */
export function readInSession<T>(
  kysely: Kysely<Schema>,
  session: { tokenHash: Buffer; idleSeconds: number },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return scopedRead(kysely, CompiledQuery.raw(CONTEXT_STATEMENTS.session, [session.tokenHash, session.idleSeconds]), work);
}

/** readInSession at REPEATABLE READ: one snapshot for every statement of the work (SessionGuard.snapshot). */
export function readSnapshotInSession<T>(
  kysely: Kysely<Schema>,
  session: { tokenHash: Buffer; idleSeconds: number },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const context = CompiledQuery.raw(CONTEXT_STATEMENTS.session, [session.tokenHash, session.idleSeconds]);
  return scopedRead(kysely, context, work, 'repeatable read');
}

/**
 * Runs work with no tenant yet: every tenant table looks empty, and only the SECURITY DEFINER doors (find
 * a login, enter a session, …) reach across tenants. A door may then set the tenant.
 */
export function asAppWithoutTenant<T>(kysely: Kysely<Schema>, work: (tx: Tx) => Promise<T>): Promise<T> {
  return kysely.transaction().execute(work);
}

/** Switches an open transaction to a tenant, e.g. once a challenge id has told us which one. */
export async function enterTenant(tx: Tx, context: TenantContext): Promise<void> {
  await tx.executeQuery(tenantSettings(context));
}
