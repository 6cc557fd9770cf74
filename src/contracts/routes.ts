import { auditContext } from '../audit/request-context.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Tx } from '../db/tenant-context.js';
import { IdParams, NoContent } from '../http/schema-types.js';
import type { Actor } from '../identity/actor.js';
import type { AuditingSessionGuard, RefusedAttempt } from '../audit/refusals.js';
import type { ProblemError } from '../http/problem.js';
import * as schemas from './schemas.js';
import * as contracts from './service.js';

/**
 * A refused write that sets groupIds is audited as a refused visibility change when the refusal is about
 * who may see the contract: a 403, or a field error on groupIds. Other field errors are plain typos.
 */
function visibilityAttempt(groupIds: string[], contractId?: string): RefusedAttempt {
  return {
    action: 'contract.visibility_change_refused',
    ...(contractId ? { target: { type: 'contract', id: contractId } } : {}),
    details: { groupIdsRequested: [...groupIds].sort() },
    concerns: (problem: ProblemError) =>
      problem.status === 403 ||
      (Array.isArray(problem.extensions.errors) &&
        problem.extensions.errors.some((error: { path?: string }) => error.path?.startsWith('body:/groupIds'))),
  };
}

/**
 * Contracts and proposals with their line items, and per-vendor totals. Any active user of the tenant may
 * call these; which contracts they reach is decided by row-level security (tenant and access groups).
 */
export const contractRoutes: FastifyPluginAsyncTypebox<{ withSession: AuditingSessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/contracts', {
    schema: {
      summary: 'List contracts and proposals',
      operationId: 'listContracts',
      tags: ['Contracts'],
      querystring: schemas.ContractListQuery,
      response: { 200: schemas.ContractList },
    },
    handler: (request) => withSession.scoped(request, (tx) => contracts.listContracts(tx, request.query)),
  });

  app.post('/api/v1/contracts', {
    config: { problems: ['forbidden', 'invalid_transition'] },
    schema: {
      summary: 'Create a contract or proposal',
      operationId: 'createContract',
      tags: ['Contracts'],
      body: schemas.ContractInput,
      response: { 201: schemas.Contract },
    },
    handler: async (request, reply) => {
      const create = (tx: Tx, actor: Actor) => contracts.createContract(tx, actor, request.body, auditContext(request, actor));
      const { groupIds } = request.body;
      const created = groupIds?.length
        ? await withSession.auditingRefusal(request, visibilityAttempt(groupIds), create)
        : await withSession(request, create);
      return reply.status(201).send(created);
    },
  });

  app.get('/api/v1/contracts/:id', {
    schema: {
      summary: 'Get a contract or proposal',
      operationId: 'getContract',
      tags: ['Contracts'],
      params: IdParams,
      response: { 200: schemas.Contract },
    },
    handler: (request) => withSession.scoped(request, (tx) => contracts.getContract(tx, request.params.id)),
  });

  app.patch('/api/v1/contracts/:id', {
    config: { problems: ['forbidden', 'reauthentication_required', 'invalid_transition', 'proposal_decided'] },
    schema: {
      summary: 'Update a contract or proposal',
      operationId: 'updateContract',
      tags: ['Contracts'],
      params: IdParams,
      body: schemas.ContractPatch,
      response: { 200: schemas.Contract },
    },
    handler: (request) => {
      const update = (tx: Tx, actor: Actor) =>
        contracts.updateContract(tx, actor, request.params.id, request.body, auditContext(request, actor));
      const { groupIds } = request.body;
      return groupIds
        ? withSession.auditingRefusal(request, visibilityAttempt(groupIds, request.params.id), update)
        : withSession(request, update);
    },
  });

  app.delete('/api/v1/contracts/:id', {
    schema: {
      summary: 'Archive a contract or proposal',
      operationId: 'archiveContract',
      tags: ['Contracts'],
      params: IdParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await withSession(request, (tx) => contracts.archiveContract(tx, request.params.id));
      return reply.status(204).send(null);
    },
  });

  app.post('/api/v1/contracts/:id/accept', {
    config: { problems: ['invalid_transition'] },
    schema: {
      summary: 'Accept a pending proposal as a new contract',
      operationId: 'acceptProposal',
      tags: ['Contracts'],
      params: IdParams,
      response: { 201: schemas.Contract },
    },
    handler: async (request, reply) =>
      reply.status(201).send(await withSession(request, (tx, actor) => contracts.acceptProposal(tx, actor, request.params.id))),
  });

  app.get('/api/v1/contract-totals', {
    schema: {
      summary: 'Totals per currency over the contracts the list shows with the same filters',
      tags: ['contracts'],
      querystring: schemas.ContractTotalsQuery,
      response: { 200: schemas.ContractTotals },
    },
    handler: (request) => withSession.scoped(request, (tx) => contracts.contractTotals(tx, request.query)),
  });

  app.get('/api/v1/contracts/:id/versions', {
    schema: {
      summary: 'The versions and renewals before and after a contract or proposal',
      tags: ['contracts'],
      params: IdParams,
      response: { 200: schemas.ContractVersions },
    },
    handler: (request) => withSession.scoped(request, (tx) => contracts.contractVersions(tx, request.params.id)),
  });

  app.get('/api/v1/vendors/:id/contract-totals', {
    schema: {
      summary: 'Contract totals of a vendor per currency',
      operationId: 'getVendorContractTotals',
      tags: ['Contracts'],
      params: IdParams,
      response: { 200: schemas.VendorContractTotals },
    },
    handler: (request) => withSession.scoped(request, (tx) => contracts.vendorContractTotals(tx, request.params.id)),
  });
};
