import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as audit from './service.js';

/** The tenant's audit trail, for masters (API.md "Your data"). Written only by recordAudit, never over HTTP. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/audit-events', {
    config: { problems: ['forbidden'] },
    schema: {
      summary: "The company's audit trail",
      operationId: 'listAuditEvents',
      tags: ['Audit'],
      querystring: schemas.AuditEventQuery,
      response: { 200: schemas.AuditEventList },
    },
    handler: (request) => withSession(request, (tx, actor) => audit.listAuditEvents(tx, actor, request.query)),
  });

  app.get('/api/v1/audit-events/actions', {
    config: { problems: ['forbidden'] },
    schema: {
      summary: 'The actions the audit trail records, for its action filter',
      operationId: 'listAuditActions',
      tags: ['Audit'],
      response: { 200: schemas.AuditActionList },
    },
    handler: (request) => withSession(request, async (_tx, actor) => audit.listAuditActions(actor)),
  });
};
