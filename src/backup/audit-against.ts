import type { BrokenLink } from '../audit/verify.js';
import type { Query } from './database-facts.js';
import type { BackupManifest } from './manifest.js';

/**
 * What a chain walk cannot see, found by comparing each tenant's chain with the head a backup recorded:
 * rows cut off at the end (the chain now stops before the recorded seq), a trail deleted whole (no rows
 * left), or a chain rewritten from an earlier row on (the recorded seq now has another hash). A chain
 * that merely grew since the backup is fine. Runs as the owner, like the chain walk.
 */
export async function compareAuditHeads(query: Query, manifest: BackupManifest): Promise<BrokenLink[]> {
  const broken: BrokenLink[] = [];
  for (const head of manifest.auditHeads) {
    const [row] = await query<{ last: string | null; hash: string | null }>(
      `SELECT (SELECT max(seq) FROM audit_events WHERE tenant_id = $1::uuid)::text AS last,
              (SELECT encode(hash, 'hex') FROM audit_events WHERE tenant_id = $1::uuid AND seq = $2::bigint) AS hash`,
      [head.tenantId, head.seq],
    );
    const since = `since backup ${manifest.id}`;
    if (!row || row.last === null) {
      broken.push({ tenantId: head.tenantId, seq: head.seq, reason: `the whole trail was deleted ${since} (it ended at seq ${head.seq})` });
    } else if (BigInt(row.last) < BigInt(head.seq)) {
      broken.push({
        tenantId: head.tenantId,
        seq: (BigInt(row.last) + 1n).toString(),
        reason: `the trail was truncated ${since}: it now ends at seq ${row.last}, the backup recorded seq ${head.seq}`,
      });
    } else if (row.hash !== head.hash) {
      broken.push({
        tenantId: head.tenantId,
        seq: head.seq,
        reason: `seq ${head.seq} no longer has the hash recorded ${since} (the chain was rewritten)`,
      });
    }
  }
  return broken;
}
