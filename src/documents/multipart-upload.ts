import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { ProblemError } from '../http/problem.js';

/** 25 MiB, the largest document accepted (API.md); the documents table checks the same bound. */
export const MAX_DOCUMENT_BYTES = 26_214_400;

/** Room for the form around the file (boundaries, part headers); a larger declared body is refused unread. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Busboy limits for the upload form: one part, and it is a file of at most 25 MiB. The global JSON body
 * limit (1 MiB) does not apply to multipart, which is streamed, so these are the limits that count.
 */
export const UPLOAD_LIMITS = {
  fileSize: MAX_DOCUMENT_BYTES,
  files: 1,
  fields: 0,
  parts: 1,
  headerPairs: 20,
  headerSize: 16 * 1024,
  fieldNameSize: 100,
};

export interface UploadSource {
  /** The name the client gave, unsanitised. */
  filename: string | undefined;
  /** The file's bytes as they arrive; 413 payload_too_large past MAX_DOCUMENT_BYTES. */
  chunks(): AsyncIterable<Buffer>;
  /** Resolves once the form has ended after the file with nothing else in it. */
  end(): Promise<void>;
}

export const payloadTooLarge = () =>
  new ProblemError(413, 'payload_too_large', `A document may be at most ${MAX_DOCUMENT_BYTES} bytes (25 MiB).`);

const formInvalid = (message: string) =>
  new ProblemError(400, 'validation_failed', 'Send one document as multipart/form-data in the field "file".', {
    errors: [{ path: 'body:/file', message }],
  });

/** The multipart plugin's and busboy's errors, as answers. Everything else it throws is a malformed form. */
function formProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return payloadTooLarge();
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return formInvalid('must be the only part of the form');
    case 'FST_PROTO_VIOLATION':
      return formInvalid('has a part with a forbidden name');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ProblemError(415, 'unsupported_media_type', 'Send the document as multipart/form-data.');
    default:
      return new ProblemError(400, 'malformed_body', 'The multipart form could not be read.');
  }
}

async function nextPart(parts: AsyncIterator<Multipart>): Promise<IteratorResult<Multipart>> {
  try {
    return await parts.next();
  } catch (error) {
    throw formProblem(error);
  }
}

/**
 * Opens the upload form of a request, reading no further than its first part. Call only after the caller
 * has been authorised: nothing of an anonymous or foreign request's body is read.
 */
export async function openUpload(request: FastifyRequest): Promise<UploadSource> {
  if (!request.isMultipart())
    throw new ProblemError(415, 'unsupported_media_type', 'Send the document as multipart/form-data in the field "file".');
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DOCUMENT_BYTES + FORM_OVERHEAD_BYTES) throw payloadTooLarge();

  const parts = request.parts({ limits: UPLOAD_LIMITS });
  const first = await nextPart(parts);
  if (first.done) throw formInvalid('is required');
  const part = first.value;
  if (part.type !== 'file' || part.fieldname !== 'file') throw formInvalid('is required, as a file, and must be the only part of the form');

  return {
    filename: part.filename,
    async *chunks() {
      let size = 0;
      try {
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          size += chunk.length;
          // Busboy cuts the file at the limit and flags it: stop there instead of reading the rest.
          if (part.file.truncated || size > MAX_DOCUMENT_BYTES) throw payloadTooLarge();
          yield chunk;
        }
      } catch (error) {
        throw formProblem(error);
      }
      if (part.file.truncated) throw payloadTooLarge();
    },
    async end() {
      const next = await nextPart(parts);
      if (!next.done) throw formInvalid('must be the only part of the form');
    },
  };
}
