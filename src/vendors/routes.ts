import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../http/schema-types.js';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as vendors from './service.js';

/** Vendors and their metric definitions. Any active user of the tenant reads and writes them. */
export const vendorRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/vendors', {
    schema: {
      summary: 'List vendors',
      operationId: 'listVendors',
      tags: ['Vendors'],
      querystring: schemas.VendorListQuery,
      response: { 200: schemas.VendorList },
    },
    handler: (request) => withSession.scoped(request, (tx) => vendors.listVendors(tx, request.query)),
  });

  app.post('/api/v1/vendors', {
    config: { problems: ['name_taken'] },
    schema: {
      summary: 'Create a vendor',
      operationId: 'createVendor',
      tags: ['Vendors'],
      body: schemas.VendorInput,
      response: { 201: schemas.Vendor },
    },
    handler: async (request, reply) => reply.status(201).send(await withSession(request, (tx) => vendors.createVendor(tx, request.body))),
  });

  app.get('/api/v1/vendors/:id', {
    schema: { summary: 'Get a vendor', operationId: 'getVendor', tags: ['Vendors'], params: IdParams, response: { 200: schemas.Vendor } },
    handler: (request) => withSession.scoped(request, (tx) => vendors.getVendor(tx, request.params.id)),
  });

  app.patch('/api/v1/vendors/:id', {
    config: { problems: ['name_taken'] },
    schema: {
      summary: 'Update a vendor',
      operationId: 'updateVendor',
      tags: ['Vendors'],
      params: IdParams,
      body: schemas.VendorPatch,
      response: { 200: schemas.Vendor },
    },
    handler: (request) => withSession(request, (tx) => vendors.updateVendor(tx, request.params.id, request.body)),
  });

  app.delete('/api/v1/vendors/:id', {
    config: { problems: ['vendor_in_use'] },
    schema: { summary: 'Delete a vendor', operationId: 'deleteVendor', tags: ['Vendors'], params: IdParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      await withSession(request, (tx) => vendors.deleteVendor(tx, request.params.id));
      return reply.status(204).send(null);
    },
  });

  app.get('/api/v1/vendors/:id/metrics', {
    schema: {
      summary: "Get a vendor's metric definitions",
      operationId: 'getVendorMetrics',
      tags: ['Vendors'],
      params: IdParams,
      response: { 200: schemas.MetricDefinitions },
    },
    handler: (request) => withSession.scoped(request, (tx) => vendors.metricDefinitions(tx, request.params.id)),
  });

  app.put('/api/v1/vendors/:id/metrics', {
    schema: {
      summary: "Replace a vendor's metric definitions",
      operationId: 'replaceVendorMetrics',
      tags: ['Vendors'],
      params: IdParams,
      body: schemas.MetricDefinitions,
      response: { 200: schemas.MetricDefinitions },
    },
    handler: (request) => withSession(request, (tx) => vendors.replaceMetricDefinitions(tx, request.params.id, request.body.items)),
  });
};
