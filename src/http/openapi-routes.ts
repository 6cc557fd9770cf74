import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { API_DOCS_PREFIX, OPENAPI_PATH } from './openapi.js';

/** The OpenAPI document of every /api route, public: it describes the API, never a deployment or its data. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  let document: string | undefined;
  app.get(OPENAPI_PATH, {
    config: { public: true },
    schema: {
      summary: 'The OpenAPI 3.1 description of this API',
      operationId: 'getOpenApiDocument',
      tags: ['Operations'],
      response: { 200: { description: 'An OpenAPI 3.1 document.', type: 'object', additionalProperties: true } },
    },
    // Sent as the string it is (the serializer would only copy it), built once on first request.
    handler: async (_request, reply) => {
      document ??= JSON.stringify(app.swagger());
      return reply.type('application/json; charset=utf-8').send(document);
    },
  });
};

/**
 * The human-readable reference at /api/docs: Swagger UI from @fastify/swagger-ui, whose page loads only
 * its own script and style files (no inline script or style), so the app's strict CSP (src/http/security.ts)
 * applies unchanged; the plugin's own `staticCSP` (looser: frame-ancestors 'self', an external validator)
 * is left unset. Its routes are public and not part of the document.
 */
export async function registerApiDocs(app: FastifyInstance) {
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, {
      routePrefix: API_DOCS_PREFIX,
      theme: { title: 'Pactum API reference' },
      // A reference, not a console: no "Try it out" requests sent with the reader's session.
      // BaseLayout: the reference without the standalone top bar, whose inline SVG logo carries a <style>
      // element that the strict style-src (no 'unsafe-inline') rightly blocks.
      uiConfig: { supportedSubmitMethods: [], deepLinking: true, layout: 'BaseLayout' },
    });
  });
}
