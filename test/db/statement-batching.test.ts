import { CompiledQuery, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_STATEMENTS, enterTenant, inTenant, readInSession, readInTenant } from '../../src/db/tenant-context.js';
import { countRoundTrips } from '../helpers/round-trips.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';

/**
 * The PostgreSQL driver (src/db/postgres-dialect.ts) on node-postgres's pipelining: a transaction's BEGIN
 * and context statements go out without waiting and come back with the next statement's answer, a
 * failure among them stops what is behind it, and only a fixed set of texts is ever held and prepared.
 * The embedded engine has no round trips; test/identity/scoped-reads runs the same guarantees on both.
 */
describe.runIf(serverUrl)('pipelined statements (postgres)', () => {
  let db: TestDatabase;
  let roundTrips: ReturnType<typeof countRoundTrips>;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.asOwner('CREATE SEQUENCE batch_probe');
    await db.asOwner('GRANT USAGE ON SEQUENCE batch_probe TO pactum_app');
    tenantId = (await db.asOwner<{ id: string }>("INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Batch Ltd') RETURNING id"))[0]!
      .id;
    roundTrips = countRoundTrips();
  });
  afterAll(async () => {
    roundTrips.restore();
    await db.drop();
  });
  afterEach(() => roundTrips.reset());

  const kysely = () => db.database.kysely;
  const probeRan = async () => (await db.asOwner<{ is_called: boolean }>('SELECT is_called FROM batch_probe'))[0]!.is_called;
  const whoAndWhere = sql<{ role: string; tenant: string }>`SELECT current_user AS role, current_setting('pactum.tenant_id') AS tenant`;

  it("sends a tenant transaction's BEGIN and settings with its first statement: two round trips with the COMMIT", async () => {
    const seen = await inTenant(kysely(), { tenantId, userId: null }, async (tx) => (await whoAndWhere.execute(tx)).rows[0]);
    expect(seen).toEqual({ role: 'pactum_app', tenant: tenantId });
    expect(roundTrips.count).toBe(2);
  });

  it('runs a scoped read as one transaction in one round trip per statement, and does not wait for its COMMIT', async () => {
    const seen = await readInTenant(kysely(), { tenantId, userId: null }, async (tx) => {
      const read = () =>
        sql<{ tenant: string; started: Date }>`SELECT current_setting('pactum.tenant_id') AS tenant, now() AS started`.execute(tx);
      return [(await read()).rows[0]!, (await read()).rows[0]!];
    });
    expect(seen[0]!.tenant).toBe(tenantId);
    expect(seen[1]).toEqual(seen[0]); // one transaction: the same start time
    expect(roundTrips.count).toBe(3); // two statements, then the COMMIT that nobody waits for
    // The COMMIT went before anything the next borrower sends: no context is left behind.
    const after = await sql<{ tenant: string | null }>`SELECT current_setting('pactum.tenant_id', true) AS tenant`.execute(kysely());
    expect(after.rows[0]!.tenant ?? '').toBe('');
  });

  it('refuses writes in a scoped read', async () => {
    const write = readInTenant(kysely(), { tenantId, userId: null }, (tx) => sql`SELECT nextval('batch_probe')`.execute(tx));
    await expect(write).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
    expect(await probeRan()).toBe(false);
  });

  it('stops at a failing context statement: nothing behind it runs, and its own error is the one reported', async () => {
    const dead = readInSession(kysely(), { tokenHash: Buffer.alloc(32), idleSeconds: 60 }, (tx) =>
      sql`SELECT nextval('batch_probe')`.execute(tx),
    );
    await expect(dead).rejects.toMatchObject({ code: '28000' }); // not 25P02, the aborted transaction behind it
    expect(roundTrips.count).toBe(2); // the check with the statement, then the ROLLBACK
    expect(await probeRan()).toBe(false);
    // The connection is healthy afterwards.
    expect((await kysely().executeQuery<{ one: number }>(CompiledQuery.raw('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }]);
  });

  it('reports a failed context statement even when the work sent nothing after it', async () => {
    const dead = readInSession(kysely(), { tokenHash: Buffer.alloc(32), idleSeconds: 60 }, async () => 'nothing sent');
    await expect(dead).rejects.toMatchObject({ code: '28000' });
    const failedFirst = readInSession(kysely(), { tokenHash: Buffer.alloc(32), idleSeconds: 60 }, async () => {
      throw new Error('the work failed before it sent anything');
    });
    await expect(failedFirst).rejects.toMatchObject({ code: '28000' });
  });

  it('holds back only the fixed context statements, and prepares each once per connection', async () => {
    await kysely()
      .connection()
      .execute(async (connection) => {
        for (let round = 0; round < 3; round += 1) {
          await readInTenant(connection, { tenantId, userId: null }, (tx) => whoAndWhere.execute(tx));
          await connection.transaction().execute(async (tx) => {
            await enterTenant(tx, { tenantId, userId: null });
            // Any other text is sent and awaited as usual, and never prepared under a name.
            await sql`SELECT ${round}::int AS round`.execute(tx);
          });
        }
        const prepared = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(connection);
        const names = prepared.rows.map((row) => row.name);
        expect(names).toEqual(expect.arrayContaining(['pactum_readOnly', 'pactum_tenant']));
        // At most one per context statement, whatever else the connection ran before.
        expect(names.every((name) => Object.keys(CONTEXT_STATEMENTS).some((key) => name === `pactum_${key}`))).toBe(true);
      });
  });

  it('sends nothing for a transaction that fails before its first statement', async () => {
    const attempt = kysely()
      .transaction()
      .execute(async () => {
        throw new Error('refused before any statement');
      });
    await expect(attempt).rejects.toThrow('refused before any statement');
    expect(roundTrips.count).toBe(0);
  });

  it('parses answers as the pool is configured (DATE stays a string) and rolls a write back when a later statement fails', async () => {
    const day = await readInTenant(
      kysely(),
      { tenantId, userId: null },
      async (tx) => (await sql<{ day: string }>`SELECT '2024-02-29'::date AS day`.execute(tx)).rows[0]!.day,
    );
    expect(day).toBe('2024-02-29');
    const attempt = inTenant(kysely(), { tenantId, userId: null }, async (tx) => {
      await tx.insertInto('vendors').values({ name: 'Never Ltd', website: null, notes: null, aliases: [] }).execute();
      await sql`SELECT 1 / 0`.execute(tx);
    });
    await expect(attempt).rejects.toMatchObject({ code: '22012' });
    expect(await db.asOwner("SELECT 1 FROM vendors WHERE name = 'Never Ltd'")).toHaveLength(0);
  });
});
