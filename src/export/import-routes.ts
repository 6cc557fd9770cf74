import '@fastify/multipart';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyRequest } from 'fastify';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import { auditContext } from '../audit/request-context.js';
import { ProblemError } from '../http/problem.js';
import { IMPORT_LIMITS, ImportFileError, readCsvRows, readWorkbookRows, type CsvMapping, type ImportRow } from './import-file.js';
import { ImportRolledBack, runImport, type ImportReport } from './import-service.js';

const ImportQuery = Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false });

const ImportErrorSchema = Type.Object({ sheet: Type.String(), cell: Type.String(), message: Type.String() });
export const ImportReportSchema = Type.Object({
  creates: Type.Integer(),
  updates: Type.Integer(),
  sheets: Type.Array(Type.Object({ sheet: Type.String(), creates: Type.Integer(), updates: Type.Integer() }), { maxItems: 9 }),
  errors: Type.Array(ImportErrorSchema, { maxItems: IMPORT_LIMITS.maxRows * 20 }),
});

/** The mapping field of a CSV upload: `{ "sheet": "Vendors", "columns": { "Supplier": "name" } }`. */
const MappingSchema = Type.Object(
  {
    sheet: Type.String({ maxLength: 40 }),
    columns: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 40 }), { maxProperties: 100 })),
  },
  { additionalProperties: false },
);

const FORM_LIMITS = { fileSize: IMPORT_LIMITS.maxFileBytes, files: 1, fields: 1, fieldSize: 20_000, parts: 2, headerPairs: 20 };

const formInvalid = (path: string, message: string) =>
  new ProblemError(400, 'validation_failed', 'Send the file as multipart/form-data in the field "file" (and, for a CSV, a "mapping").', {
    errors: [{ path, message }],
  });

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Reads the form: the file (whole, at most maxFileBytes) and the optional mapping. */
async function readForm(request: FastifyRequest): Promise<{ file: Buffer; mapping: CsvMapping | null }> {
  if (!request.isMultipart()) throw new ProblemError(415, 'unsupported_media_type', 'Send the file as multipart/form-data.');
  let file: Buffer | null = null;
  let mappingText: string | null = null;
  try {
    for await (const part of request.parts({ limits: FORM_LIMITS })) {
      if (part.type === 'file' && part.fieldname === 'file') {
        file = await part.toBuffer();
        if (part.file.truncated) throw new Error('too large');
      } else if (part.type === 'field' && part.fieldname === 'mapping') mappingText = String(part.value);
      else throw formInvalid(`body:/${part.fieldname}`, 'is not a field of this form');
    }
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || (error as Error).message === 'too large')
      throw new ProblemError(413, 'payload_too_large', `A file may be at most ${IMPORT_LIMITS.maxFileBytes} bytes.`);
    throw new ProblemError(400, 'malformed_body', 'The multipart form could not be read.');
  }
  if (!file) throw formInvalid('body:/file', 'is required');
  let mapping: CsvMapping | null = null;
  if (mappingText !== null) {
    try {
      mapping = JSON.parse(mappingText) as CsvMapping;
    } catch {
      throw formInvalid('body:/mapping', 'must be JSON');
    }
    if (!mappingValid(mapping)) throw formInvalid('body:/mapping', 'must be { "sheet": "…", "columns": { "CSV header": "field" } }');
  }
  return { file, mapping };
}

const mappingCheck = TypeCompiler.Compile(MappingSchema);
const mappingValid = (value: unknown): value is CsvMapping => mappingCheck.Check(value);

function rowsOf(file: Buffer, mapping: CsvMapping | null): Promise<ImportRow[]> | ImportRow[] {
  if (file.subarray(0, 4).equals(ZIP_MAGIC)) {
    if (mapping) throw formInvalid('body:/mapping', 'applies to a CSV file only; a workbook is read by its headers');
    return readWorkbookRows(file);
  }
  if (!mapping)
    throw new ProblemError(415, 'unsupported_media_type', 'Send an .xlsx workbook in the export’s layout, or a CSV file with a "mapping".');
  return readCsvRows(file, mapping);
}

const invalid = (report: Pick<ImportReport, 'errors'> & Partial<ImportReport>) =>
  new ProblemError(422, 'import_invalid', `${report.errors.length} problem(s) in the file; nothing was written.`, {
    creates: report.creates ?? 0,
    updates: report.updates ?? 0,
    errors: report.errors,
  });

/**
 * POST /api/v1/imports: an XLSX in the export's layout, or a CSV with a mapping, checked (?dryRun=true:
 * a report, nothing written) or applied in one transaction (201), all or nothing (422 import_invalid).
 */
export const importRoutes: FastifyPluginAsyncTypebox<{ withSession: AuditingSessionGuard }> = async (app, { withSession }) => {
  await app.register(multipart, { limits: FORM_LIMITS });

  app.post('/api/v1/imports', {
    config: {
      problems: ['import_invalid'],
      upload: {
        field: 'file',
        description:
          'An .xlsx workbook in the export’s layout, or a CSV file with a "mapping" field ({ "sheet": "Vendors", "columns": { "CSV header": "field" } }); at most 10 MiB and 10,000 rows.',
      },
    },
    schema: {
      summary: 'Import an XLSX or a mapped CSV: ?dryRun=true checks it (200, nothing written); otherwise applied in one transaction (201)',
      operationId: 'importFile',
      tags: ['Your data'],
      querystring: ImportQuery,
      response: { 200: ImportReportSchema, 201: ImportReportSchema },
    },
    handler: async (request, reply) => {
      // The session first: nobody's upload is read (and unpacked) before we know who sends it.
      await withSession(request, async () => {});
      const { file, mapping } = await readForm(request);
      let rows: ImportRow[];
      try {
        rows = await rowsOf(file, mapping);
      } catch (error) {
        if (error instanceof ImportFileError) throw invalid({ errors: error.errors });
        throw error;
      }
      const dryRun = request.query.dryRun === true;
      try {
        const report = await withSession(request, (tx, actor) => runImport(tx, actor, auditContext(request, actor), rows, dryRun));
        return await reply.status(201).send(report);
      } catch (error) {
        if (!(error instanceof ImportRolledBack)) throw error;
        if (error.report.errors.length > 0 && !dryRun) throw invalid(error.report);
        return reply.status(200).send(error.report);
      }
    },
  });
};
