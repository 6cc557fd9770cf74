import { recordAudit, type AuditContext } from '../audit/record.js';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { DocumentContentType } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import { decodeCursor, page } from '../http/pagination.js';
import { notFound, ProblemError } from '../http/problem.js';
import type { Actor } from '../identity/sessions.js';
import { BLOB_OVERHEAD, BlobIntegrityError, createBlobSealer, documentAad, openBlob } from './document-cipher.js';
import { sanitizeFilename } from './filenames.js';
import { sniffContentType, SNIFF_LENGTH } from './magic-bytes.js';
import { MAX_DOCUMENT_BYTES, type UploadSource } from './multipart-upload.js';
import * as queries from './queries.js';
import { BlobNotFoundError, BlobTooLargeError, storageKey, type DocumentStorage } from './storage.js';
import { currentTenantKey, tenantKeyVersion } from './tenant-keys.js';

/** Runs work in one RLS transaction as the caller (withSession bound to the request). */
export type AsCaller = <T>(work: (tx: Tx, actor: Actor) => Promise<T>) => Promise<T>;

export interface DocumentServiceDeps {
  storage: DocumentStorage;
  /** deriveKey(masterKey, 'tenant-key-wrap'). */
  wrappingKey: Buffer;
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
  if (!type) throw new ProblemError(415, 'unsupported_media_type', "Only PDF, PNG and JPEG documents are accepted; this file's content is none of them.");
  return type;
};

/** Sniffs, hashes, counts and encrypts the file as it arrives; only ciphertext is held. */
async function sealUpload(chunks: AsyncIterable<Buffer>, key: Buffer, aad: Buffer) {
  const sealer = createBlobSealer(key, aad);
  const hash = createHash('sha256');
  let size = 0;
  let type: DocumentContentType | null = null;
  let head = Buffer.alloc(0);
  const take = (piece: Buffer) => {
    hash.update(piece);
    sealer.update(piece);
    size += piece.length;
  };
  for await (const chunk of chunks) {
    if (type) {
      take(chunk);
      continue;
    }
    // The type is decided before a single byte is kept, on the first SNIFF_LENGTH bytes.
    head = Buffer.concat([head, chunk]);
    if (head.length < SNIFF_LENGTH) continue;
    type = refuseUnlessDocument(head);
    take(head);
  }
  if (!type) {
    type = refuseUnlessDocument(head);
    take(head);
  }
  return { type, size, sha256: hash.digest(), blob: sealer.finish() };
}

const invalidCursor = () =>
  new ProblemError(400, 'validation_failed', 'The cursor is not valid.', { errors: [{ path: 'querystring:/cursor', message: 'is not a cursor from this API' }] });

export function createDocumentService({ storage, wrappingKey }: DocumentServiceDeps) {
  /** Refuses to serve a document whose stored bytes are not what was uploaded; says why in the log only. */
  function integrityFailure(log: FastifyBaseLogger, row: DocumentRow, tenantId: string, reason: string): ProblemError {
    log.error({ documentId: row.id, contractId: row.contract_id, tenantId, keyVersion: row.key_version, reason }, 'document integrity check failed; not served');
    return new ProblemError(500, 'document_integrity_failed', 'The stored document does not match what was uploaded, so it is not served. This has been logged.');
  }

  return {
    /**
     * (tx1) the contract is visible and the tenant key ready → read, check and encrypt the file → store the
     * blob → (tx2) record it, checking visibility again. No storage call runs inside a transaction; a blob
     * whose row could not be written is deleted again.
     */
    async upload(asCaller: AsCaller, contractId: string, openSource: () => Promise<UploadSource>, log: FastifyBaseLogger) {
      const prepared = await asCaller(async (tx, actor) => {
        // An archived contract answers 404 like every other write to it.
        if (!(await queries.liveContractVisible(tx, contractId))) throw notFound();
        return { tenantId: actor.tenantId, userId: actor.userId, tenantKey: await currentTenantKey(tx, wrappingKey, actor.tenantId) };
      });
      const documentId = randomUUID();
      let source: UploadSource;
      let sealed: Awaited<ReturnType<typeof sealUpload>>;
      try {
        source = await openSource();
        sealed = await sealUpload(source.chunks(), prepared.tenantKey.key, documentAad(prepared.tenantId, documentId));
      } finally {
        prepared.tenantKey.key.fill(0);
      }
      await source.end();

      const key = storageKey(prepared.tenantId, documentId);
      await storage.put(key, sealed.blob);
      try {
        const row = await asCaller(async (tx, actor) => {
          // Same caller as in tx1 (the blob is bound to that tenant), and the contract still visible to them.
          if (actor.tenantId !== prepared.tenantId || actor.userId !== prepared.userId) throw notFound();
          if (!(await queries.liveContractVisible(tx, contractId))) throw notFound();
          return queries.insertDocument(tx, {
            id: documentId,
            contract_id: contractId,
            filename: sanitizeFilename(source.filename, sealed.type),
            content_type: sealed.type,
            size_bytes: sealed.size,
            sha256: sealed.sha256,
            storage_key: key,
            key_version: prepared.tenantKey.version,
            uploaded_by: actor.userId,
          });
        });
        return documentView(row);
      } catch (error) {
        await storage.delete(key).catch((cleanup: unknown) => log.warn({ err: cleanup, documentId }, 'orphaned document blob could not be deleted'));
        throw error;
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
     * (tx) the row, if the caller may see it (RLS: the document's contract must be visible) → the blob →
     * decrypt and authenticate, then compare size and SHA-256 with the row. The document is held in memory
     * (≤ 25 MiB) so that not one unverified byte reaches the client.
     */
    async download(asCaller: AsCaller, documentId: string, log: FastifyBaseLogger, audit: (actor: Actor) => AuditContext) {
      const found = await asCaller(async (tx, actor) => {
        const row = await queries.findDocument(tx, documentId);
        if (!row) throw notFound();
        await recordAudit(tx, audit(actor), { action: 'document.downloaded', target: { type: 'document', id: row.id }, details: { contractId: row.contract_id } });
        const key = await tenantKeyVersion(tx, wrappingKey, actor.tenantId, row.key_version);
        if (!key) throw new Error(`document ${row.id} names tenant key ${row.key_version}, which does not exist`);
        return { row, key, tenantId: actor.tenantId };
      });
      const { row, key, tenantId } = found;
      try {
        if (row.storage_key !== storageKey(tenantId, row.id)) throw integrityFailure(log, row, tenantId, 'storage_key_mismatch');
        let blob: Buffer;
        try {
          blob = await storage.get(row.storage_key, MAX_DOCUMENT_BYTES + BLOB_OVERHEAD);
        } catch (error) {
          if (error instanceof BlobNotFoundError) throw integrityFailure(log, row, tenantId, 'blob_missing');
          if (error instanceof BlobTooLargeError) throw integrityFailure(log, row, tenantId, 'blob_too_large');
          throw error;
        }
        let bytes: Buffer;
        try {
          bytes = openBlob(blob, key, documentAad(tenantId, row.id));
        } catch (error) {
          if (error instanceof BlobIntegrityError) throw integrityFailure(log, row, tenantId, error.reason);
          throw error;
        }
        const expected = Buffer.from(row.sha256);
        const actual = createHash('sha256').update(bytes).digest();
        if (bytes.length !== Number(row.size_bytes) || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
          throw integrityFailure(log, row, tenantId, 'sha256_mismatch');
        }
        return { document: documentView(row), bytes };
      } finally {
        key.fill(0);
      }
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
