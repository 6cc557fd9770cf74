import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

/** Token hashes whose tenant a node remembers; beyond that the oldest are forgotten (and looked up again). */
const REMEMBERED_SESSIONS = 10_000;

/**
 * The tenant of a session token, known before the request's transaction takes a connection, so the
 * tenant gate can queue the request behind its own company (src/http/tenant-gate.ts). A session never
 * changes tenant, so each answer is remembered; the first request of a session on a node costs one short
 * read through pactum_session_tenant (migration 0014). This is no authentication: the request's own
 * transaction checks the session in full, and a session ended since it was remembered fails there.
 */
export function createSessionTenants(kysely: Kysely<Schema>) {
  const remembered = new Map<string, string>();
  // A burst of a new session's first requests shares one lookup.
  const inFlight = new Map<string, Promise<string | null>>();

  // One statement, no transaction: every connection of the service runs as pactum_app already.
  const lookUp = async (tokenHash: Buffer) => {
    const { rows } = await sql<{ tenant_id: string | null }>`SELECT pactum_session_tenant(${tokenHash}) AS tenant_id`.execute(kysely);
    return rows[0]?.tenant_id ?? null;
  };

  return {
    /** The session's tenant, or null when no live session has this token hash. */
    async tenantOf(tokenHash: Buffer): Promise<string | null> {
      const key = tokenHash.toString('base64');
      const known = remembered.get(key);
      if (known) return known;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = lookUp(tokenHash).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const tenantId = await pending;
      if (tenantId && !remembered.has(key)) {
        if (remembered.size >= REMEMBERED_SESSIONS) remembered.delete(remembered.keys().next().value!);
        remembered.set(key, tenantId);
      }
      return tenantId;
    },
  };
}

export type SessionTenants = ReturnType<typeof createSessionTenants>;
