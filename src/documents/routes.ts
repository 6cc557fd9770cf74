import { auditContext } from '../audit/request-context.js';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { IdParams } from '../http/schema-types.js';
import type { SessionGuard } from '../identity/actor.js';
import { contentDisposition } from './filenames.js';
import { openUpload, UPLOAD_LIMITS } from './multipart-upload.js';
import * as schemas from './schemas.js';
import type { DocumentService } from './service.js';

export interface DocumentRouteOptions {
  withSession: SessionGuard;
  documents: DocumentService;
  /** A download not finished by then is cut off: a reader that slow would otherwise hold its slot indefinitely. */
  downloadTimeoutMs: number;
}

/** Ends the response (and so the download's stream and slot) when it runs past its deadline. */
function limitResponseTime(reply: FastifyReply, ms: number) {
  const timer = setTimeout(() => {
    reply.log.warn({ timeoutMs: ms }, 'document download too slow; connection closed');
    reply.raw.destroy();
  }, ms);
  timer.unref();
  reply.raw.once('close', () => clearTimeout(timer));
}

/**
 * Signed documents of a contract: upload, list, download. Any active user who can see the contract may
 * do all three; a document is exactly as visible as its contract (RLS), so everything else is 404.
 */
export const documentRoutes: FastifyPluginAsyncTypebox<DocumentRouteOptions> = async (
  app,
  { withSession, documents, downloadTimeoutMs },
) => {
  // Registered inside this plugin, so multipart bodies are accepted by these routes only.
  await app.register(multipart, { limits: UPLOAD_LIMITS });

  app.post('/api/v1/contracts/:id/documents', {
    config: { upload: { field: 'file', description: 'A PDF, JPEG or PNG of at most 25 MB.' } },
    schema: {
      summary: 'Upload a signed document to a contract',
      operationId: 'uploadDocument',
      tags: ['Documents'],
      params: IdParams,
      response: { 201: schemas.Document },
    },
    handler: async (request, reply) => {
      try {
        const document = await documents.upload(
          (work) => withSession(request, work),
          request.params.id,
          () => openUpload(request),
          request.log,
        );
        return await reply.status(201).send(document);
      } catch (error) {
        // Refused (401, 404, 413, 415 …) while the client may still be sending: close rather than read the
        // rest. Even when the body has arrived by the time the cleanup is done, closing costs one reconnect.
        reply.header('connection', 'close');
        throw error;
      }
    },
  });

  app.get('/api/v1/contracts/:id/documents', {
    schema: {
      summary: "List a contract's documents",
      operationId: 'listDocuments',
      tags: ['Documents'],
      params: IdParams,
      querystring: schemas.DocumentListQuery,
      response: { 200: schemas.DocumentList },
    },
    handler: (request) => withSession.scoped(request, (tx) => documents.list(tx, request.params.id, request.query)),
  });

  app.get('/api/v1/documents/:id', {
    config: { problems: ['document_integrity_failed'] },
    schema: {
      summary: 'Download a document',
      operationId: 'downloadDocument',
      tags: ['Documents'],
      params: IdParams,
      response: { 200: schemas.DocumentBytes },
    },
    handler: async (request, reply) => {
      const { document, body } = await documents.download(
        (work) => withSession(request, work),
        request.params.id,
        request.log,
        (actor) => auditContext(request, actor),
      );
      limitResponseTime(reply, downloadTimeoutMs);
      return (
        reply
          .header('content-type', document.contentType)
          // The length is the row's: a stream cut short is visibly incomplete to every client.
          .header('content-length', document.size)
          .header('content-disposition', contentDisposition(document.filename))
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          // Defence in depth: a document opened in the browser anyway runs no script and has no origin.
          .header('content-security-policy', 'sandbox')
          .send(body)
      );
    },
  });
};
