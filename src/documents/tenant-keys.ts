import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Tx } from '../db/tenant-context.js';
import * as queries from './queries.js';

/**
 * Envelope encryption: each tenant has a random 256-bit data key, stored only wrapped with AES-256-GCM
 * under a key derived from PACTUM_MASTER_KEY (deriveKey 'tenant-key-wrap'):
 *
 *   wrapped_key = IV (12) | tag (16) | encrypted data key (32)
 *
 * The additional data names the tenant and key version, so a wrapped key copied to another tenant's row
 * does not unwrap. A database dump without the master key therefore opens no document.
 */
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;
export const WRAPPED_KEY_LENGTH = IV_LENGTH + TAG_LENGTH + KEY_LENGTH;

function wrapAad(tenantId: string, version: number): Buffer {
  return Buffer.from(`pactum:tenant-key:${tenantId}:${version}`, 'utf8');
}

export function wrapTenantKey(wrappingKey: Buffer, tenantId: string, version: number, dataKey: Buffer): Buffer {
  if (dataKey.length !== KEY_LENGTH) throw new Error('a tenant data key is 32 bytes');
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(wrapAad(tenantId, version));
  const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]);
}

export function unwrapTenantKey(wrappingKey: Buffer, tenantId: string, version: number, wrapped: Uint8Array): Buffer {
  const bytes = Buffer.from(wrapped);
  if (bytes.length !== WRAPPED_KEY_LENGTH) throw tenantKeyUnusable(tenantId, version);
  const decipher = createDecipheriv('aes-256-gcm', wrappingKey, bytes.subarray(0, IV_LENGTH), { authTagLength: TAG_LENGTH });
  decipher.setAAD(wrapAad(tenantId, version));
  decipher.setAuthTag(bytes.subarray(IV_LENGTH, IV_LENGTH + TAG_LENGTH));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_LENGTH + TAG_LENGTH)), decipher.final()]);
  } catch {
    throw tenantKeyUnusable(tenantId, version);
  }
}

/** A server fault, not the caller's: a different master key than the one that wrapped the key, or an altered row. */
function tenantKeyUnusable(tenantId: string, version: number): Error {
  return new Error(
    `tenant key ${version} of tenant ${tenantId} does not unwrap: PACTUM_MASTER_KEY is not the one that wrapped it, or the row was altered`,
  );
}

export interface TenantKey {
  version: number;
  key: Buffer;
}

/** The tenant's newest data key, created (random, then wrapped) on the tenant's first upload. */
export async function currentTenantKey(tx: Tx, wrappingKey: Buffer, tenantId: string): Promise<TenantKey> {
  let row = await queries.latestTenantKey(tx);
  if (!row) {
    const dataKey = randomBytes(KEY_LENGTH);
    // Two first uploads at once both try version 1; the loser's insert does nothing and it reads the winner's.
    await queries.insertTenantKey(tx, 1, wrapTenantKey(wrappingKey, tenantId, 1, dataKey));
    dataKey.fill(0);
    row = await queries.latestTenantKey(tx);
    if (!row) throw new Error('the tenant key just created is not visible');
  }
  return { version: row.version, key: unwrapTenantKey(wrappingKey, tenantId, row.version, row.wrapped_key) };
}

/** The data key a document was encrypted with (documents reference it by version). */
export async function tenantKeyVersion(tx: Tx, wrappingKey: Buffer, tenantId: string, version: number): Promise<Buffer | null> {
  const row = await queries.tenantKey(tx, version);
  return row ? unwrapTenantKey(wrappingKey, tenantId, version, row.wrapped_key) : null;
}
