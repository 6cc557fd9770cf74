import { recordAudit, type AuditContext } from '../audit/record.js';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { DocumentContentType } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import type { Actor } from '../identity/actor.js';
import { BlobIntegrityError, openDocument, sealDocument, sealedSize, V1_BLOB_OVERHEAD } from './document-cipher.js';
import type { DownloadSlots } from './download-slots.js';
import { sanitizeFilename } from './filenames.js';
import { sniffContentType, SNIFF_LENGTH } from './magic-bytes.js';
import type { UploadSource } from './multipart-upload.js';
import * as queries from './queries.js';
import { BlobNotFoundError, BlobTooLargeError, storageKey, type DocumentStorage } from './storage.js';
import { currentTenantKey, tenantKeyVersion } from './tenant-keys.js';

/** Runs work in one RLS transaction as the caller (withSession bound to the request). */
export type AsCaller = <T>(work: (tx: Tx, actor: Actor) => Promise<T>) => Promise<T>;

export interface DocumentServiceDeps {
  storage: DocumentStorage;
  /** deriveKey(masterKey, 'tenant-key-wrap'). */
  wrappingKey: Buffer;
  /** Concurrent downloads per user and per node. */
  downloadSlots: DownloadSlots;
}

type DocumentRow = Awaited<ReturnType<typeof queries.findDocument>> & {};

export function documentView(row: DocumentRow) {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size_bytes),
    sha256: Buffer.from(row.sha256).toString('hex'),
    uploadedAt: new Date(row.created_at).toISOString(),
    uploadedBy: row.uploaded_by,
  };
}

const refuseUnlessDocument = (head: Buffer): DocumentContentType => {
  const type = sniffContentType(head);
  if (!type)
    throw new ProblemError(
      415,
      'unsupported_media_type',
      "Only PDF, PNG and JPEG documents are accepted; this file's content is none of them.",
    );
  return type;
};

/**
 * Reads the first bytes of the upload and decides its type before anything is stored; then hands out the
 * whole file (those bytes and the rest as it arrives), hashing and counting what passes.
 */
async function inspectUpload(chunks: AsyncIterable<Buffer>) {
  const iterator = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < SNIFF_LENGTH) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, next.value]);
  }
  const type = refuseUnlessDocument(head);
  const hash = createHash('sha256');
  let size = 0;
  const take = (piece: Buffer) => {
    hash.update(piece);
    size += piece.length;
    return piece;
  };
  async function* plaintext(): AsyncGenerator<Buffer> {
    yield take(head);
    while (!ended) {
      const next = await iterator.next();
      if (next.done) return;
      yield take(next.value);
    }
  }
  return { type, plaintext: plaintext(), measured: () => ({ size, sha256: hash.digest() }) };
}

const invalidCursor = () =>
  new ProblemError(400, 'validation_failed', 'The cursor is not valid.', {
    errors: [{ path: 'querystring:/cursor', message: 'is not a cursor from this API' }],
  });

export function createDocumentService({ storage, wrappingKey, downloadSlots }: DocumentServiceDeps) {
  /** Refuses to serve a document whose stored bytes are not what was uploaded; says why in the log only. */
  function integrityFailure(log: FastifyBaseLogger, row: DocumentRow, tenantId: string, reason: string): ProblemError {
    logIntegrityFailure(log, row, tenantId, reason, 'not served');
    return new ProblemError(
      500,
      'document_integrity_failed',
      'The stored document does not match what was uploaded, so it is not served. This has been logged.',
    );
  }

  function logIntegrityFailure(log: FastifyBaseLogger, row: DocumentRow, tenantId: string, reason: string, outcome: string) {
    log.error(
      { documentId: row.id, contractId: row.contract_id, tenantId, keyVersion: row.key_version, reason },
      `document integrity check failed; ${outcome}`,
    );
  }

  return {
    /**
     * (tx1) the contract is visible and the tenant key ready → read, check and encrypt the file, streaming
     * it into storage as it arrives → (tx2) record it, checking visibility again. No storage call runs
     * inside a transaction. Whatever fails after the write started — the form, the storage, the row — leaves
     * no blob behind: the storage removes a partial write itself, and a stored blob whose row could not be
     * written is deleted again (a crash in between is the orphan sweep's to clean up).
     */
    async upload(asCaller: AsCaller, contractId: string, openSource: () => Promise<UploadSource>, log: FastifyBaseLogger) {
      const prepared = await asCaller(async (tx, actor) => {
        // An archived contract answers 404 like every other write to it.
        if (!(await queries.liveContractVisible(tx, contractId))) throw notFound();
        return { tenantId: actor.tenantId, userId: actor.userId, tenantKey: await currentTenantKey(tx, wrappingKey, actor.tenantId) };
      });
      const documentId = randomUUID();
      const key = storageKey(prepared.tenantId, documentId);
      let writing = false;
      try {
        const source = await openSource();
        const upload = await inspectUpload(source.chunks());
        // From here on a failure may have stored something — even a put that rejects (a bucket that timed
        // out after taking the object, a directory sync failing after the rename) — so it is deleted again.
        writing = true;
        await storage.put(key, sealDocument(upload.plaintext, prepared.tenantKey.key, { tenantId: prepared.tenantId, documentId }));
        prepared.tenantKey.key.fill(0);
        await source.end();
        const { size, sha256 } = upload.measured();
        const row = await asCaller(async (tx, actor) => {
          // Same caller as in tx1 (the blob is bound to that tenant), and the contract still visible to them.
          if (actor.tenantId !== prepared.tenantId || actor.userId !== prepared.userId) throw notFound();
          if (!(await queries.liveContractVisible(tx, contractId))) throw notFound();
          return queries.insertDocument(tx, {
            id: documentId,
            contract_id: contractId,
            filename: sanitizeFilename(source.filename, upload.type),
            content_type: upload.type,
            size_bytes: size,
            sha256,
            storage_key: key,
            key_version: prepared.tenantKey.version,
            uploaded_by: actor.userId,
          });
        });
        return documentView(row);
      } catch (error) {
        if (writing)
          await storage
            .delete(key)
            .catch((cleanup: unknown) =>
              log.warn({ err: cleanup, documentId }, 'orphaned document blob could not be deleted; the sweep will'),
            );
        throw error;
      } finally {
        prepared.tenantKey.key.fill(0);
      }
    },

    async list(tx: Tx, contractId: string, query: { limit?: number; cursor?: string }) {
      if (!(await queries.contractVisible(tx, contractId))) throw notFound();
      const limit = query.limit ?? 50;
      const after = decodeCursor(query.cursor);
      if (after && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(after.key)) throw invalidCursor();
      const rows = await queries.listDocuments(tx, contractId, { after, limit });
      const result = page(rows, limit, (row) => ({ key: row.cursor_key, id: row.id }));
      return { items: result.items.map(documentView), nextCursor: result.nextCursor };
    },

    /**
     * (tx) a download slot for the caller, the row if the caller may see it (RLS: the document's contract
     * must be visible) → the blob as a stream → decrypt and authenticate segment by segment. Resolves once
     * the first segment is verified, so a blob that is missing, malformed or tampered at its start still
     * answers 500 document_integrity_failed; later failures end the stream with an error, which aborts the
     * response. The slot is given back when the stream closes, however it ends.
     */
    async download(asCaller: AsCaller, documentId: string, log: FastifyBaseLogger, audit: (actor: Actor) => AuditContext) {
      const found = await asCaller(async (tx, actor) => {
        const releaseSlot = downloadSlots.acquire(actor.userId);
        try {
          const row = await queries.findDocument(tx, documentId);
          if (!row) throw notFound();
          await recordAudit(tx, audit(actor), {
            action: 'document.downloaded',
            target: { type: 'document', id: row.id },
            details: { contractId: row.contract_id },
          });
          const key = await tenantKeyVersion(tx, wrappingKey, actor.tenantId, row.key_version);
          if (!key) throw new Error(`document ${row.id} names tenant key ${row.key_version}, which does not exist`);
          return { row, key, tenantId: actor.tenantId, releaseSlot };
        } catch (error) {
          releaseSlot();
          throw error;
        }
      });
      const { row, key, tenantId, releaseSlot } = found;
      try {
        if (row.storage_key !== storageKey(tenantId, row.id)) throw integrityFailure(log, row, tenantId, 'storage_key_mismatch');
        const size = Number(row.size_bytes);
        const blob = await openStored(row.storage_key, Math.max(sealedSize(size), V1_BLOB_OVERHEAD + size), (reason) =>
          integrityFailure(log, row, tenantId, reason),
        );
        let body: Readable;
        try {
          body = await openDocument(blob, { dataKey: key, tenantId, documentId: row.id, size, sha256: Buffer.from(row.sha256) });
        } catch (error) {
          if (error instanceof BlobIntegrityError) throw integrityFailure(log, row, tenantId, error.reason);
          throw error;
        }
        body.once('close', releaseSlot);
        body.once('error', (error) => {
          if (error instanceof BlobIntegrityError) logIntegrityFailure(log, row, tenantId, error.reason, 'cut off');
          else log.debug({ err: error, documentId: row.id }, 'document download ended early');
        });
        return { document: documentView(row), body };
      } catch (error) {
        releaseSlot();
        throw error;
      } finally {
        key.fill(0);
      }
    },
  };

  async function openStored(key: string, maxBytes: number, failure: (reason: string) => ProblemError) {
    try {
      return await storage.get(key, maxBytes);
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw failure('blob_missing');
      if (error instanceof BlobTooLargeError) throw failure('blob_too_large');
      throw error;
    }
  }
}

export type DocumentService = ReturnType<typeof createDocumentService>;
