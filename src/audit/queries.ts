import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';

export interface AuditEventFilter {
  actorId?: string;
  /** Exact action, or with `prefix` every action that starts with it. */
  action?: { value: string; prefix: boolean };
  from?: string;
  to?: string;
}

/**
 * The tenant's trail, newest first on (occurred_at, seq), which the audit_events_time index serves. The
 * cursor names the last event seen; its exact microsecond time is read back in SQL, never rounded in JS.
 */
export function listAuditEvents(tx: Tx, options: AuditEventFilter & { afterId: string | null; limit: number }) {
  let query = tx
    .selectFrom('audit_events')
    .select([
      'id',
      'seq',
      'occurred_at',
      'actor_id',
      'action',
      'target_type',
      'target_id',
      'client_ip',
      'user_agent',
      'outcome',
      'details',
    ]);
  if (options.actorId) query = query.where('actor_id', '=', options.actorId);
  if (options.action?.prefix) query = query.where(sql<boolean>`starts_with(action, ${options.action.value})`);
  else if (options.action) query = query.where('action', '=', options.action.value);
  if (options.from) query = query.where('occurred_at', '>=', sql<Date>`${options.from}::timestamptz`);
  if (options.to) query = query.where('occurred_at', '<', sql<Date>`${options.to}::timestamptz`);
  if (options.afterId) {
    query = query.where(
      sql<boolean>`(occurred_at, seq) < (SELECT a.occurred_at, a.seq FROM audit_events a WHERE a.id = ${options.afterId}::uuid)`,
    );
  }
  return query
    .orderBy('occurred_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(options.limit + 1)
    .execute();
}

export async function auditEventExists(tx: Tx, id: string): Promise<boolean> {
  const row = await tx.selectFrom('audit_events').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

export interface RefusalBudgetSpent {
  write_row: boolean;
  first_suppressed: boolean;
  suppressed_before: number;
  previous_window_start: Date | string;
}

/** One refusal of the actor against their budget per window; see pactum_spend_refusal_budget (0010). */
export async function spendRefusalBudget(tx: Tx, actorId: string, limit: number, windowSeconds: number): Promise<RefusalBudgetSpent> {
  const { rows } = await sql<RefusalBudgetSpent>`
    SELECT * FROM pactum_spend_refusal_budget(${actorId}::uuid, ${limit}::int, ${windowSeconds}::int)`.execute(tx);
  return rows[0]!;
}
