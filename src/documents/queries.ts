import { sql } from 'kysely';
import type { DocumentContentType } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';

/** Whether the caller can see the contract: the contracts policy decides, no filter here does. */
/** Whether the caller sees the contract (RLS), archived or not: its documents stay readable. */
export async function contractVisible(tx: Tx, contractId: string): Promise<boolean> {
  const row = await tx.selectFrom('contracts').select('id').where('id', '=', contractId).executeTakeFirst();
  return row !== undefined;
}

/** A contract the caller sees and that is not archived: the only kind that takes new documents. */
export async function liveContractVisible(tx: Tx, contractId: string): Promise<boolean> {
  const row = await tx
    .selectFrom('contracts')
    .select('id')
    .where('id', '=', contractId)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

export function latestTenantKey(tx: Tx) {
  return tx.selectFrom('tenant_keys').select(['version', 'wrapped_key']).orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export function tenantKey(tx: Tx, version: number) {
  return tx.selectFrom('tenant_keys').select(['version', 'wrapped_key']).where('version', '=', version).executeTakeFirst();
}

export async function insertTenantKey(tx: Tx, version: number, wrappedKey: Buffer): Promise<void> {
  await tx
    .insertInto('tenant_keys')
    .values({ version, wrapped_key: wrappedKey })
    .onConflict((oc) => oc.columns(['tenant_id', 'version']).doNothing())
    .execute();
}

export interface NewDocument {
  id: string;
  contract_id: string;
  filename: string;
  content_type: DocumentContentType;
  size_bytes: number;
  sha256: Buffer;
  storage_key: string;
  key_version: number;
  uploaded_by: string;
}

const COLUMNS = [
  'id',
  'contract_id',
  'filename',
  'content_type',
  'size_bytes',
  'sha256',
  'storage_key',
  'key_version',
  'uploaded_by',
  'created_at',
] as const;

/** Microsecond precision, as stored: a cursor rounded to milliseconds could skip or repeat rows. */
const createdAtKey = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function insertDocument(tx: Tx, document: NewDocument) {
  return tx
    .insertInto('documents')
    .values(document)
    .returning([...COLUMNS, createdAtKey.as('cursor_key')])
    .executeTakeFirstOrThrow();
}

export function listDocuments(tx: Tx, contractId: string, options: { after: Cursor | null; limit: number }) {
  let query = tx
    .selectFrom('documents')
    .select([...COLUMNS, createdAtKey.as('cursor_key')])
    .where('contract_id', '=', contractId);
  if (options.after) {
    const { key, id } = options.after;
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', sql<Date>`${key}::timestamptz`),
        eb.and([eb('created_at', '=', sql<Date>`${key}::timestamptz`), eb('id', '>', id)]),
      ]),
    );
  }
  return query
    .orderBy('created_at')
    .orderBy('id')
    .limit(options.limit + 1)
    .execute();
}

export function findDocument(tx: Tx, id: string) {
  return tx
    .selectFrom('documents')
    .select([...COLUMNS, createdAtKey.as('cursor_key')])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Which of these storage keys a documents row references, in any tenant (SECURITY DEFINER, migration 0013). */
export async function referencedStorageKeys(tx: Tx, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const { rows } = await sql<{ key: string }>`SELECT pactum_referenced_document_keys(${keys}::text[]) AS key`.execute(tx);
  return rows.map((row) => row.key);
}
