import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { ProblemError } from '../http/problem.js';
import type { Actor } from '../identity/actor.js';
import * as queries from './queries.js';

type AuditEventRow = Awaited<ReturnType<typeof queries.listAuditEvents>>[number];

export function auditEventView(row: AuditEventRow) {
  return {
    id: row.id,
    seq: Number(row.seq),
    occurredAt: new Date(row.occurred_at).toISOString(),
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    outcome: row.outcome,
    details: row.details,
  };
}

export interface AuditEventQuery {
  limit?: number;
  cursor?: string;
  actorId?: string;
  action?: string;
  from?: string;
  to?: string;
}

/** The trail shows who did what from where to everyone in the tenant: masters only. */
export async function listAuditEvents(tx: Tx, actor: Actor, query: AuditEventQuery) {
  if (actor.role !== 'master') throw new ProblemError(403, 'forbidden', 'Only a master may read the audit trail.');
  const limit = query.limit ?? 50;
  const action = query.action?.endsWith('.*')
    ? { value: query.action.slice(0, -1), prefix: true }
    : query.action
      ? { value: query.action, prefix: false }
      : undefined;
  const rows = await queries.listAuditEvents(tx, {
    actorId: query.actorId,
    action,
    from: query.from,
    to: query.to,
    afterId: decodeCursor(query.cursor)?.id ?? null,
    limit,
  });
  const result = page(rows, limit, (row) => ({ key: String(row.seq), id: row.id }));
  return { items: result.items.map(auditEventView), nextCursor: result.nextCursor };
}
