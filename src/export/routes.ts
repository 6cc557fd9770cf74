import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import { auditContext } from '../audit/request-context.js';
import { createDownloadSlots } from '../documents/download-slots.js';
import { todayUtc } from '../deadlines/dates.js';
import { importRoutes } from './import-routes.js';
import { authorizeExport, exportFilename, writeExport } from './service.js';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * An export holds one REPEATABLE READ transaction (one pool connection and one of its company's turns at
 * the tenant gate) while it streams, so how many run at once is capped per user and per node, and one that
 * runs too long is cut off: a client that stops reading stalls the writer (it waits for room in the reply,
 * see workbook-writer.ts) and must not keep the connection for ever.
 */
const EXPORT_SLOTS = { perUser: 1, perNode: 2 };
export const EXPORT_TIME_LIMIT_MS = 5 * 60_000;

export const exportRoutes: FastifyPluginAsyncTypebox<{ withSession: AuditingSessionGuard }> = async (app, { withSession }) => {
  const slots = createDownloadSlots(EXPORT_SLOTS);

  app.get('/api/v1/export.xlsx', {
    // A HEAD would run (and audit) a whole export only to discard it.
    exposeHeadRoute: false,
    config: { problems: ['reauthentication_required'] },
    schema: {
      summary:
        'Everything the caller can see as one Office Open XML workbook, streamed (no Content-Length; X-Pactum-Export-Records says how many records it holds). Needs a sign-in or step-up from the last 15 minutes',
      operationId: 'exportWorkbook',
      tags: ['Your data'],
    },
    handler: async (request, reply) => {
      let release: (() => void) | null = null;
      let exported: { companyName: string; records: number };
      try {
        exported = await withSession.auditingRefusal(
          request,
          { action: 'data.export_refused', concerns: (problem) => problem.status === 403 },
          (tx, actor) => authorizeExport(tx, actor, auditContext(request, actor), () => (release ??= slots.acquire(actor.userId))),
        );
      } catch (error) {
        (release as (() => void) | null)?.();
        throw error;
      }
      const { companyName, records } = exported;
      const done = release ?? (() => {});
      const output = new PassThrough();
      const timer = setTimeout(() => output.destroy(new Error('export time limit reached')), EXPORT_TIME_LIMIT_MS);
      timer.unref();
      reply.raw.once('close', () => {
        clearTimeout(timer);
        done();
        // A reader that went away ends the export: the writer sees a destroyed output and stops reading.
        if (!output.writableFinished) output.destroy();
      });
      withSession
        .snapshot(request, (tx) => writeExport(tx, output))
        .then((counts) => request.log.info({ counts }, 'export written'))
        .catch((error: unknown) => {
          // The headers are out: the only honest signal left is a cut connection (no final chunk).
          request.log.warn({ err: error }, 'export failed while streaming; connection closed');
          output.destroy();
          reply.raw.destroy();
        });
      return (
        reply
          .header('content-type', XLSX_CONTENT_TYPE)
          .header('content-disposition', `attachment; filename="${exportFilename(companyName, todayUtc())}"`)
          // The length is unknown while streaming; this many records (rows of the stored sheets) are coming.
          .header('x-pactum-export-records', String(records))
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .send(output)
      );
    },
  });

  await app.register(importRoutes, { withSession });
};
