import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deferStatement, flushDeferred } from '../../src/db/deferred-statements.js';
import { inTenant, readInTenant } from '../../src/db/tenant-context.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';

/**
 * The PostgreSQL driver's batches (src/db/postgres-dialect.ts): deferred statements travel with the next
 * one in a single submission, in order, and a failure stops what is behind it. The embedded engine has no
 * round trips and runs deferred statements at once; it has its own tests in test/identity/scoped-reads.
 */
describe.runIf(serverUrl)('statement batching (postgres)', () => {
  let db: TestDatabase;
  let submissions = 0;
  const clientQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.asOwner('CREATE SEQUENCE batch_probe');
    await db.asOwner('GRANT USAGE ON SEQUENCE batch_probe TO pactum_app');
    pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
      submissions += 1;
      return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof clientQuery;
  });
  afterAll(async () => {
    pg.Client.prototype.query = clientQuery;
    await db.drop();
  });
  afterEach(() => {
    submissions = 0;
  });

  const kysely = () => db.database.kysely;
  const probeRan = async () => (await db.asOwner<{ is_called: boolean }>('SELECT is_called FROM batch_probe'))[0]!.is_called;

  it('sends a tenant transaction\'s BEGIN and settings with its first statement: two round trips for a read', async () => {
    const tenants = await db.asOwner<{ id: string }>("INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Batch Ltd') RETURNING id");
    const tenantId = tenants[0]!.id;
    submissions = 0;
    const seen = await inTenant(kysely(), { tenantId, userId: null }, async (tx) =>
      // Transaction-local settings still in force: the settings and this statement share one transaction.
      (await sql<{ role: string; tenant: string }>`SELECT current_user AS role, current_setting('pactum.tenant_id') AS tenant`.execute(tx)).rows[0],
    );
    expect(seen).toEqual({ role: 'pactum_app', tenant: tenantId });
    expect(submissions).toBe(2);
  });

  it('runs a read-only tenant transaction statement by statement: one round trip each, each in the transaction\'s context', async () => {
    const tenants = await db.asOwner<{ id: string }>("INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Scoped Ltd') RETURNING id");
    const tenantId = tenants[0]!.id;
    submissions = 0;
    const seen = await readInTenant(kysely(), { tenantId, userId: null }, async (tx) => {
      const read = () => sql<{ role: string; tenant: string }>`SELECT current_user AS role, current_setting('pactum.tenant_id') AS tenant`.execute(tx);
      return [(await read()).rows[0], (await read()).rows[0]];
    });
    expect(seen).toEqual([
      { role: 'pactum_app', tenant: tenantId },
      { role: 'pactum_app', tenant: tenantId },
    ]);
    expect(submissions).toBe(2); // no BEGIN, no COMMIT: each batch is its own implicit transaction
  });

  it('refuses writes in a READ ONLY transaction, and leaves no context on the connection afterwards', async () => {
    await kysely()
      .connection()
      .execute(async (connection) => {
        const attempt = connection
          .transaction()
          .setAccessMode('read only')
          .execute(async (tx) => {
            const settings = await deferStatement(tx, sql`SELECT set_config('role', 'pactum_app', true), set_config('pactum.tenant_id', ${'00000000-0000-4000-8000-000000000000'}, true)`.compile(tx));
            settings.answer.catch(() => {});
            await sql`SELECT nextval('batch_probe')`.execute(tx);
          });
        await expect(attempt).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
        const after = await sql<{ role: string; tenant: string | null }>`SELECT current_user AS role, current_setting('pactum.tenant_id', true) AS tenant`.execute(connection);
        expect(after.rows[0]!.role).not.toBe('pactum_app');
        expect(after.rows[0]!.tenant ?? '').toBe('');
      });
    expect(await probeRan()).toBe(false);
  });

  it('prepares context statements once per connection, and prepares one again after it failed', async () => {
    const tenants = await db.asOwner<{ id: string }>("INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Prepared Ltd') RETURNING id");
    const tenantId = tenants[0]!.id;
    const tenantOf = (tx: Parameters<Parameters<typeof readInTenant>[2]>[0]) =>
      sql<{ tenant: string }>`SELECT current_setting('pactum.tenant_id') AS tenant`.execute(tx).then(({ rows }) => rows[0]!.tenant);
    await kysely()
      .connection()
      .execute(async (connection) => {
        expect(await readInTenant(connection, { tenantId, userId: null }, tenantOf)).toBe(tenantId);
        expect(await readInTenant(connection, { tenantId, userId: null }, tenantOf)).toBe(tenantId);
        // A context statement that fails when it runs was parsed nonetheless …
        const divideBy = (divisor: number) =>
          connection
            .transaction()
            .setAccessMode('read only')
            .execute(async (tx) => {
              const context = await deferStatement<{ quotient: number }>(tx, sql`SELECT 6 / ${divisor}::int AS quotient`.compile(tx));
              context.answer.catch(() => {});
              await sql`SELECT 1`.execute(tx);
              return (await context.answer).rows[0]!.quotient;
            });
        await expect(divideBy(0)).rejects.toMatchObject({ code: '22012' });
        // … and must not make the next use of the same text fail with "prepared statement already exists".
        expect(await divideBy(2)).toBe(3);
        expect(await divideBy(3)).toBe(2);
        const prepared = await sql<{ count: number }>`SELECT count(*)::int AS count FROM pg_prepared_statements WHERE name LIKE 'pactum_%'`.execute(connection);
        expect(prepared.rows[0]!.count).toBeGreaterThanOrEqual(2); // the settings and SET TRANSACTION READ ONLY
      });
  });

  it('parses batched answers exactly as a plain query does (dates, numerics, bytea, json, arrays, nulls)', async () => {
    const text = `SELECT $1::date AS day, $2::numeric AS money, $3::bytea AS bytes, $4::jsonb AS doc, $5::text[] AS tags,
                         $6::timestamptz AS at, NULL::int AS nothing, 42::int AS answer`;
    const parameters = ['2024-02-29', '1234.5600', Buffer.from([0, 1, 254, 255]), JSON.stringify({ a: [1, 'two'] }), ['x', 'y,z'], new Date('2026-01-02T03:04:05.678Z')];
    const plain = (await kysely().executeQuery(CompiledQuery.raw(text, parameters))).rows[0];
    const batched = await kysely().transaction().execute(async (tx) => {
      const { answer } = await deferStatement(tx, CompiledQuery.raw(text, parameters));
      const next = await tx.executeQuery(CompiledQuery.raw('SELECT 1 AS one'));
      expect(next.rows).toEqual([{ one: 1 }]);
      return (await answer).rows[0];
    });
    expect(batched).toEqual(plain);
    expect(batched).toMatchObject({ day: '2024-02-29', money: '1234.5600', nothing: null, answer: 42, tags: ['x', 'y,z'] });
  });

  it('stops at a failing deferred statement: the statements behind it never run, and all of them report the failure', async () => {
    const attempt = kysely().transaction().execute(async (tx) => {
      const { answer } = await deferStatement(tx, CompiledQuery.raw('SELECT 1 / 0'));
      const next = tx.executeQuery(CompiledQuery.raw("SELECT nextval('batch_probe')"));
      await expect(answer).rejects.toMatchObject({ code: '22012' });
      await next;
    });
    await expect(attempt).rejects.toMatchObject({ code: '22012' });
    expect(await probeRan()).toBe(false);
    // The connection is healthy afterwards: the transaction was rolled back, the pool hands it out again.
    expect((await kysely().executeQuery<{ one: number }>(CompiledQuery.raw('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }]);
  });

  it('sends nothing for a transaction that fails before its first statement', async () => {
    const attempt = kysely().transaction().execute(async () => {
      throw new Error('refused before any statement');
    });
    await expect(attempt).rejects.toThrow('refused before any statement');
    expect(submissions).toBe(0);
  });

  it('flushes what is deferred on its own when no statement follows', async () => {
    const value = await kysely().transaction().execute(async (tx) => {
      const { answer } = await deferStatement<{ v: string }>(tx, CompiledQuery.raw("SELECT set_config('pactum.batch_test', 'set', true) AS v"));
      await flushDeferred(tx);
      return (await answer).rows[0]!.v;
    });
    expect(value).toBe('set');
    expect(submissions).toBe(2); // the batch (BEGIN + the statement), then COMMIT
  });

  it('rolls a write back when a later statement of the same batch fails', async () => {
    const attempt = kysely().transaction().execute(async (tx) => {
      const { answer } = await deferStatement(tx, CompiledQuery.raw("INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Never Ltd')"));
      answer.catch(() => {});
      await tx.executeQuery(CompiledQuery.raw('SELECT 1 / 0'));
    });
    await expect(attempt).rejects.toMatchObject({ code: '22012' });
    expect(await db.asOwner("SELECT 1 FROM tenants WHERE name = 'Never Ltd'")).toHaveLength(0);
  });
});
