import type { ScriptSession } from '../db/engine.js';

/** The first row of a tenant's chain that does not hold, and why. */
export interface BrokenLink {
  tenantId: string;
  /** bigint as text: the row's stored sequence number. */
  seq: string;
  reason: string;
}

export interface ChainReport {
  tenantId: string;
  events: number;
  broken: BrokenLink | null;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  tenants: ChainReport[];
  /** The first broken row of each broken tenant, in tenant order. */
  broken: BrokenLink[];
}

export class AuditVerifyError extends Error {}

type Query = ScriptSession['query'];

/**
 * Walks every tenant's audit chain as the database owner and names the first row that does not hold:
 * its hash must be pactum_audit_hash() of its content (same function the insert trigger used), its
 * prev_hash the hash of the row before, and seq must count 1, 2, 3 … without gaps. An edited row fails
 * the first test, a removed or reordered one the second and third.
 *
 * What a chain alone cannot show: rows cut off at the end, or a whole chain rewritten by someone who can
 * also recompute every later hash. Comparing each tenant's latest hash with a copy kept elsewhere closes
 * that gap.
 *
 * One statement per tenant keeps each within the connection's statement timeout.
 */
export async function verifyAuditChains(query: Query): Promise<AuditVerification> {
  await requireOwner(query);
  const tenants = await query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM audit_events ORDER BY tenant_id');
  const reports: ChainReport[] = [];
  for (const { tenant_id: tenantId } of tenants) reports.push(await verifyTenantChain(query, tenantId));
  const broken = reports.flatMap((report) => (report.broken ? [report.broken] : []));
  return { ok: broken.length === 0, events: reports.reduce((sum, report) => sum + report.events, 0), tenants: reports, broken };
}

const CHAIN_CHECK = `
  WITH chain AS (
    SELECT e.seq,
           lag(e.seq) OVER w AS previous_seq,
           e.seq = coalesce(lag(e.seq) OVER w, 0) + 1 AS seq_ok,
           e.hash = pactum_audit_hash(e) AS content_ok,
           e.prev_hash IS NOT DISTINCT FROM lag(e.hash) OVER w AS link_ok
      FROM audit_events e
     WHERE e.tenant_id = $1
    WINDOW w AS (ORDER BY e.seq)
  )
  SELECT (SELECT count(*) FROM chain)::text AS events,
         first.seq::text AS seq, first.previous_seq::text AS previous_seq, first.seq_ok, first.content_ok, first.link_ok
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
      SELECT * FROM chain WHERE NOT (seq_ok AND content_ok AND link_ok) ORDER BY seq LIMIT 1
    ) AS first ON true`;

interface ChainCheckRow {
  events: string;
  seq: string | null;
  previous_seq: string | null;
  seq_ok: boolean | null;
  content_ok: boolean | null;
  link_ok: boolean | null;
}

export async function verifyTenantChain(query: Query, tenantId: string): Promise<ChainReport> {
  const [row] = await query<ChainCheckRow>(CHAIN_CHECK, [tenantId]);
  if (!row) throw new AuditVerifyError('the chain check returned nothing');
  const events = Number(row.events);
  if (row.seq === null) return { tenantId, events, broken: null };
  return { tenantId, events, broken: { tenantId, seq: row.seq, reason: reasonOf(row) } };
}

function reasonOf(row: ChainCheckRow): string {
  if (!row.seq_ok) {
    return row.previous_seq === null
      ? `the chain starts at seq ${row.seq} instead of 1 (earlier rows removed)`
      : `seq ${row.seq} follows seq ${row.previous_seq} (rows in between removed)`;
  }
  if (!row.content_ok) return 'its content does not match its hash (the row was changed)';
  return 'it does not link to the previous row (a row before it was changed, removed or reordered)';
}

/** As the app role, row-level security would show no rows at all, and an empty trail would "verify". */
async function requireOwner(query: Query) {
  const [role] = await query<{ name: string; bypasses: boolean }>(
    'SELECT current_user::text AS name, (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user',
  );
  if (!role?.bypasses) {
    throw new AuditVerifyError(
      `audit verify must run as the database owner (a role that bypasses row-level security), not as ${role?.name ?? 'this role'}`,
    );
  }
}

/** One line for the command line: the first broken row names its tenant and seq. */
export function describeVerification(result: AuditVerification): string {
  if (result.ok) return `Audit trail intact: ${count(result.events, 'event')} in ${count(result.tenants.length, 'tenant')} verified.`;
  const [first, ...others] = result.broken;
  const more = others.length > 0 ? `; ${count(others.length, 'more tenant')} broken` : '';
  return `audit trail broken in tenant ${first!.tenantId} at seq ${first!.seq}: ${first!.reason}${more}`;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
