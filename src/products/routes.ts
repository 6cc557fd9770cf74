import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../http/schema-types.js';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as products from './service.js';

/** Products per vendor, with the metric and block size they are licensed in. */
export const productRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/products', {
    schema: {
      summary: 'List products',
      operationId: 'listProducts',
      tags: ['Products'],
      querystring: schemas.ProductListQuery,
      response: { 200: schemas.ProductList },
    },
    handler: (request) => withSession.scoped(request, (tx) => products.listProducts(tx, request.query)),
  });

  app.post('/api/v1/products', {
    config: { problems: ['name_taken'] },
    schema: {
      summary: 'Create a product',
      operationId: 'createProduct',
      tags: ['Products'],
      body: schemas.ProductInput,
      response: { 201: schemas.Product },
    },
    handler: async (request, reply) => reply.status(201).send(await withSession(request, (tx) => products.createProduct(tx, request.body))),
  });

  app.get('/api/v1/products/:id', {
    schema: {
      summary: 'Get a product',
      operationId: 'getProduct',
      tags: ['Products'],
      params: IdParams,
      response: { 200: schemas.Product },
    },
    handler: (request) => withSession.scoped(request, (tx) => products.getProduct(tx, request.params.id)),
  });

  app.patch('/api/v1/products/:id', {
    config: { problems: ['name_taken'] },
    schema: {
      summary: 'Update a product',
      operationId: 'updateProduct',
      tags: ['Products'],
      params: IdParams,
      body: schemas.ProductPatch,
      response: { 200: schemas.Product },
    },
    handler: (request) => withSession(request, (tx) => products.updateProduct(tx, request.params.id, request.body)),
  });

  app.delete('/api/v1/products/:id', {
    config: { problems: ['product_in_use'] },
    schema: {
      summary: 'Delete a product',
      operationId: 'deleteProduct',
      tags: ['Products'],
      params: IdParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await withSession(request, (tx) => products.deleteProduct(tx, request.params.id));
      return reply.status(204).send(null);
    },
  });
};
