import { addDays } from '../deadlines/dates.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, invalidCursor, page } from '../http/pagination.js';
import { ProblemError } from '../http/problem.js';
import { AUDIT_ACTIONS } from './actions.js';
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

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day bound covers the whole day in UTC: `from` starts at its first moment, `to` ends after its last. */
function moment(value: string | undefined, bound: 'from' | 'to'): string | undefined {
  if (value === undefined || !DAY.test(value)) return value;
  return `${bound === 'from' ? value : addDays(value, 1)}T00:00:00Z`;
}

/** The trail shows who did what from where to everyone in the tenant: masters only. */
function requireAuditReader(actor: Actor): void {
  if (actor.role !== 'master') throw new ProblemError(403, 'forbidden', 'Only a master may read the audit trail.');
}

/**
 * A page of the trail, newest first, filtered. The cursor names the last event of the previous page and
 * the next page continues strictly after it in (time, seq) order, with the same filters applied again: a
 * page is therefore the same whether or not the filters matched the cursor's event, and events recorded
 * meanwhile (always newer) never shift it. A cursor naming no event of this tenant is a 400.
 */
export async function listAuditEvents(tx: Tx, actor: Actor, query: AuditEventQuery) {
  requireAuditReader(actor);
  const limit = query.limit ?? 50;
  const action = query.action?.endsWith('.*')
    ? { value: query.action.slice(0, -1), prefix: true }
    : query.action
      ? { value: query.action, prefix: false }
      : undefined;
  const rows = await queries.listAuditEvents(tx, {
    actorId: query.actorId,
    action,
    from: moment(query.from, 'from'),
    to: moment(query.to, 'to'),
    afterId: await cursorEvent(tx, query.cursor),
    limit,
  });
  const result = page(rows, limit, (row) => ({ key: String(row.seq), id: row.id }));
  return { items: result.items.map(auditEventView), nextCursor: result.nextCursor };
}

async function cursorEvent(tx: Tx, cursor: string | undefined): Promise<string | null> {
  const decoded = decodeCursor(cursor);
  if (!decoded) return null;
  if (!(await queries.auditEventExists(tx, decoded.id))) throw invalidCursor();
  return decoded.id;
}

/** The actions the audit trail can be filtered by: every action the code records, by name. */
export function listAuditActions(actor: Actor) {
  requireAuditReader(actor);
  return { items: [...AUDIT_ACTIONS] };
}
