import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../http/schema-types.js';
import type { SessionGuard } from '../identity/actor.js';
import * as schemas from './schemas.js';
import * as holdings from './service.js';

/** Read-only views over line items: licences held per product, and what a product cost over time. */
export const holdingRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard }> = async (app, { withSession }) => {
  app.get('/api/v1/licenses', {
    schema: {
      summary: 'Licences held per product',
      operationId: 'listLicences',
      tags: ['Licences'],
      querystring: schemas.HoldingsQuery,
      response: { 200: schemas.HoldingList },
    },
    handler: (request) => withSession.scoped(request, (tx) => holdings.listHoldings(tx, request.query)),
  });

  app.get('/api/v1/products/:id/price-history', {
    schema: {
      summary: 'What a product cost over time',
      operationId: 'getPriceHistory',
      tags: ['Licences'],
      params: IdParams,
      querystring: schemas.PriceHistoryQuery,
      response: { 200: schemas.PriceHistory },
    },
    handler: (request) => withSession.scoped(request, (tx) => holdings.priceHistory(tx, request.params.id, request.query)),
  });
};
