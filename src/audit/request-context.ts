import type { FastifyRequest } from 'fastify';
import type { AuditContext } from './record.js';

/**
 * Who acts and from where, for recordAudit. `request.ip` honours only the configured trusted proxy
 * (Fastify's trustProxy), so a client cannot choose the address written to the audit trail.
 */
export function auditContext(request: FastifyRequest, actor: { userId: string } | null): AuditContext {
  const userAgent = request.headers['user-agent'];
  return { actorId: actor?.userId ?? null, ip: request.ip || null, userAgent: userAgent ? userAgent.slice(0, 512) : null };
}
