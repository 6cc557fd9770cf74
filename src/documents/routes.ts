import { auditContext } from '../audit/request-context.js';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import { IdParams } from '../http/schema-types.js';
import { deriveKey } from '../identity/keys.js';
import type { SessionGuard } from '../identity/sessions.js';
import { contentDisposition } from './filenames.js';
import { openUpload, UPLOAD_LIMITS } from './multipart-upload.js';
import * as schemas from './schemas.js';
import { createDocumentService } from './service.js';
import { createDocumentStorage } from './storage-from-config.js';

/**
 * Signed documents of a contract: upload, list, download. Any active user who can see the contract may
 * do all three; a document is exactly as visible as its contract (RLS), so everything else is 404.
 */
export const documentRoutes: FastifyPluginAsyncTypebox<{ withSession: SessionGuard; config: Config }> = async (app, { withSession, config }) => {
  // Registered inside this plugin, so multipart bodies are accepted by these routes only.
  await app.register(multipart, { limits: UPLOAD_LIMITS });
  const documents = createDocumentService({
    storage: await createDocumentStorage(config.documentStorage),
    wrappingKey: deriveKey(config.masterKey, 'tenant-key-wrap'),
  });

  app.post('/api/v1/contracts/:id/documents', {
    schema: { params: IdParams, response: { 201: schemas.Document } },
    handler: async (request, reply) => {
      try {
        const document = await documents.upload((work) => withSession(request, work), request.params.id, () => openUpload(request), request.log);
        return await reply.status(201).send(document);
      } catch (error) {
        // Answered before the whole form arrived (401, 404, 413, 415 …): close rather than read the rest.
        if (!request.raw.complete) reply.header('connection', 'close');
        throw error;
      }
    },
  });

  app.get('/api/v1/contracts/:id/documents', {
    schema: { params: IdParams, querystring: schemas.DocumentListQuery, response: { 200: schemas.DocumentList } },
    handler: (request) => withSession.scoped(request, (tx) => documents.list(tx, request.params.id, request.query)),
  });

  app.get('/api/v1/documents/:id', {
    schema: { params: IdParams },
    handler: async (request, reply) => {
      const { document, bytes } = await documents.download((work) => withSession(request, work), request.params.id, request.log, (actor) => auditContext(request, actor));
      return reply
        .header('content-type', document.contentType)
        .header('content-length', bytes.length)
        .header('content-disposition', contentDisposition(document.filename))
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(bytes);
    },
  });
};
