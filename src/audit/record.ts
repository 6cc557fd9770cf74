import type { AuditOutcome } from '../db/schema.js';
import type { AuditAction } from './actions.js';
import type { Tx } from '../db/tenant-context.js';

/** Who did it and from where, as the request told us (the IP honours only the configured trusted proxy). */
export interface AuditContext {
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  /** Dotted snake_case, e.g. `auth.login`, `user.revoked`, `group.member_added`; one of AUDIT_ACTIONS. */
  action: AuditAction;
  outcome?: AuditOutcome;
  target?: { type: string; id: string };
  /** Never secrets: no passwords, codes, tokens. */
  details?: Record<string, unknown>;
}

/**
 * Appends an event to the current tenant's audit trail inside the caller's transaction, so the event
 * and the change it describes commit or vanish together. The database numbers and hash-chains the row.
 */
export async function recordAudit(tx: Tx, context: AuditContext, event: AuditEvent): Promise<void> {
  await tx
    .insertInto('audit_events')
    .values({
      actor_id: context.actorId,
      action: event.action,
      outcome: event.outcome ?? 'success',
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      client_ip: context.ip,
      user_agent: context.userAgent?.slice(0, 512) ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}
