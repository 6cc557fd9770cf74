/**
 * What a backup records about the database it copied, and what `backup verify` recomputes from a restored
 * copy: the schema version, each table's row count and content checksum, and each tenant's audit-chain
 * head. Computed as the owner (row-level security would hide rows) in the dump's own snapshot.
 */
export type Query = <Row>(text: string, params?: unknown[]) => Promise<Row[]>;

export interface TableFacts {
  name: string;
  /** bigint as text */
  rows: string;
  /** Sum of a 64-bit hash of every row's text, as text: independent of row order and physical layout. */
  checksum: string;
}

export interface AuditHead {
  tenantId: string;
  /** bigint as text: the last sequence number of the tenant's chain. */
  seq: string;
  /** hex */
  hash: string;
}

export interface DatabaseFacts {
  schemaVersion: number;
  tables: TableFacts[];
  auditHeads: AuditHead[];
}

/**
 * Row text depends on a few settings (time zone, date style, float digits); fixed here so the same data
 * gives the same checksum in any session. Transaction-local: the caller's session is left as it was.
 */
const CANONICAL_SETTINGS = `SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
  set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)`;

/** Must run inside a transaction (settings are transaction-local), as a role that bypasses row-level security. */
export async function collectDatabaseFacts(query: Query): Promise<DatabaseFacts> {
  await query(CANONICAL_SETTINGS);
  const [version] = await query<{ version: number | null }>('SELECT max(version) AS version FROM pactum_migrations');
  const tableNames = await query<{ name: string }>(
    'SELECT tablename::text AS name FROM pg_tables WHERE schemaname = \'public\' ORDER BY tablename COLLATE "C"',
  );
  const tables: TableFacts[] = [];
  for (const { name } of tableNames) {
    // The name comes from the catalogue, quoted as an identifier; never from input.
    const [row] = await query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS checksum FROM public.${quoteIdentifier(name)} AS t`,
    );
    tables.push({ name, rows: row!.rows, checksum: row!.checksum });
  }
  const auditHeads = tableNames.some((table) => table.name === 'audit_events') ? await collectAuditHeads(query) : [];
  return { schemaVersion: Number(version?.version ?? 0), tables, auditHeads };
}

export async function collectAuditHeads(query: Query): Promise<AuditHead[]> {
  return query<AuditHead>(
    `SELECT DISTINCT ON (tenant_id) tenant_id::text AS "tenantId", seq::text AS seq, encode(hash, 'hex') AS hash
       FROM audit_events ORDER BY tenant_id, seq DESC`,
  );
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The differences between what a manifest recorded and what a restored copy holds, one line each. */
export function compareFacts(recorded: DatabaseFacts, found: DatabaseFacts): string[] {
  const differences: string[] = [];
  if (recorded.schemaVersion !== found.schemaVersion)
    differences.push(`schema version: recorded ${recorded.schemaVersion}, restored ${found.schemaVersion}`);
  const foundTables = new Map(found.tables.map((table) => [table.name, table]));
  for (const table of recorded.tables) {
    const other = foundTables.get(table.name);
    if (!other) differences.push(`table ${table.name}: missing after restore`);
    else if (other.rows !== table.rows) differences.push(`table ${table.name}: recorded ${table.rows} rows, restored ${other.rows}`);
    else if (other.checksum !== table.checksum) differences.push(`table ${table.name}: content checksum differs`);
    foundTables.delete(table.name);
  }
  for (const name of foundTables.keys()) differences.push(`table ${name}: not in the manifest`);
  return differences;
}
