import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContext } from '../audit/request-context.js';
import { requireMaster, type SessionGuard } from '../identity/actor.js';
import { loadDemoData } from './service.js';

const DemoDataLoaded = Type.Object(
  {
    vendors: Type.Integer({ minimum: 0 }),
    products: Type.Integer({ minimum: 0 }),
    contracts: Type.Integer({ minimum: 0 }),
    proposals: Type.Integer({ minimum: 0 }),
    pendingProposals: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * The empty company's first step in the web app: "Load the demo data" fills the caller's own vault with
 * the demo vendors, products, contracts and proposals, so a new master can look around before entering
 * anything. Only a master, only while the vault is empty (409 vault_not_empty otherwise).
 */
export const demoDataRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.post('/api/v1/demo-data', {
    config: { problems: ['forbidden', 'vault_not_empty'] },
    schema: {
      summary: "Fill an empty company's vault with the demo data",
      operationId: 'loadDemoData',
      tags: ['Demo'],
      response: { 201: DemoDataLoaded },
    },
    handler: async (request, reply) => {
      const loaded = await withSession(request, (tx, actor) => {
        requireMaster(actor);
        return loadDemoData(tx, actor, auditContext(request, actor));
      });
      return reply.status(201).send(loaded);
    },
  });
};
