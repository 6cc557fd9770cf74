import { recordAudit, type AuditContext } from '../audit/record.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound } from '../http/problem.js';
import * as identityQueries from '../identity/queries.js';
import { type Actor, requireMaster, requireRecentAuthentication } from '../identity/actor.js';
import { IDLE_TIMEOUT_SECONDS } from '../identity/sessions.js';
import * as queries from './queries.js';

/** The caller's own live sessions, newest first; `current` marks the one this request came with. */
export async function listOwnSessions(tx: Tx, actor: Actor, query: { limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50;
  const rows = await queries.listLiveSessions(tx, actor.userId, {
    idleSeconds: IDLE_TIMEOUT_SECONDS,
    after: decodeCursor(query.cursor),
    limit,
  });
  const result = page(rows, limit, (row) => ({ key: row.cursor_key, id: row.id }));
  return {
    items: result.items.map((row) => ({
      id: row.id,
      createdAt: new Date(row.created_at).toISOString(),
      lastSeenAt: new Date(row.last_seen_at).toISOString(),
      clientIp: row.client_ip,
      userAgent: row.user_agent,
      current: row.id === actor.sessionId,
    })),
    nextCursor: result.nextCursor,
  };
}

/** Ends one of the caller's own sessions (perhaps the current one); someone else's is 404. */
export async function endOwnSession(tx: Tx, actor: Actor, sessionId: string, audit: AuditContext): Promise<{ current: boolean }> {
  if (!(await queries.endLiveSession(tx, actor.userId, sessionId, 'ended_by_user'))) throw notFound();
  await recordAudit(tx, audit, {
    action: 'session.ended',
    target: { type: 'session', id: sessionId },
    details: { reason: 'ended_by_user' },
  });
  return { current: sessionId === actor.sessionId };
}

/** A master ends every session of a user of the tenant (a lost laptop); the user may sign in again. */
export async function endSessionsOfUser(tx: Tx, actor: Actor, userId: string, audit: AuditContext): Promise<{ ended: number }> {
  requireMaster(actor);
  requireRecentAuthentication(actor);
  const user = await identityQueries.findUser(tx, userId);
  if (!user) throw notFound();
  const ended = await identityQueries.endUserSessions(tx, user.id, 'ended_by_master');
  await recordAudit(tx, audit, {
    action: 'session.ended',
    target: { type: 'user', id: user.id },
    details: { reason: 'ended_by_master', count: ended },
  });
  return { ended };
}
