import { recordAudit, type AuditContext } from '../audit/record.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import { type Actor, requireMaster, requireRecentAuthentication } from '../identity/actor.js';
import { userView } from '../identity/views.js';
import * as queries from './queries.js';
import { ensureAnotherActiveMaster, isActiveMaster } from './roles.js';

/** Every user of the tenant, revoked ones included (their names stay on past changes), with their groups. */
export async function listUsers(tx: Tx, query: { status?: queries.UserStatus; limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50;
  const rows = await queries.listUsers(tx, { status: query.status, after: decodeCursor(query.cursor), limit });
  const result = page(rows, limit, (row) => ({ key: row.cursor_key, id: row.id }));
  return { items: result.items.map((row) => ({ ...userView(row), groupIds: row.group_ids })), nextCursor: result.nextCursor };
}

/**
 * Renames a user or changes their role. A role change needs a recent authentication and must leave an
 * active master; masters may promote members and step down themselves.
 */
export async function updateUser(
  tx: Tx,
  actor: Actor,
  userId: string,
  patch: { name?: string; role?: 'master' | 'member' },
  audit: AuditContext,
) {
  requireMaster(actor);
  const roleChanges = patch.role !== undefined;
  if (roleChanges) await queries.lockTenantForRoleChanges(tx);
  const user = await queries.lockUser(tx, userId);
  if (!user) throw notFound();
  if (user.status === 'revoked') throw new ProblemError(409, 'invalid_transition', 'A revoked user cannot be changed.');

  const newRole = patch.role !== undefined && patch.role !== user.role ? patch.role : undefined;
  const newName = patch.name !== undefined && patch.name.trim() !== user.name ? patch.name.trim() : undefined;
  if (newRole) {
    requireRecentAuthentication(actor);
    if (newRole === 'member' && isActiveMaster(user)) await ensureAnotherActiveMaster(tx, user.id);
  }
  if (!newRole && !newName) return userView(user);

  const updated = await queries.updateUser(tx, user.id, { ...(newName ? { name: newName } : {}), ...(newRole ? { role: newRole } : {}) });
  const target = { type: 'user', id: user.id };
  if (newName) await recordAudit(tx, audit, { action: 'user.renamed', target });
  if (newRole) await recordAudit(tx, audit, { action: 'user.role_changed', target, details: { from: user.role, to: newRole } });
  return userView(updated);
}
