import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAppWithoutTenant, inTenant, type TenantContext } from '../../src/db/tenant-context.js';
import { login, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';
import {
  CORE_SEALED_TABLES,
  CORE_TENANT_TABLES,
  asOwnerRolledBack,
  becomeApp,
  errorMessageOf,
  globalTables,
  ident,
  inTenantRolledBack,
  ownerCounts,
  sqlStateOf,
  tenantTables,
  type TenantTable,
} from './catalog.js';

/**
 * Behaviour of row-level security on real data: two companies signed up through HTTP, then every table the
 * catalog calls a tenant table is read and written as the app role from the wrong side.
 */
describe(`row-level security between two tenants (${engineName})`, () => {
  let t: TestApp;
  let a: Registered;
  let b: Registered;
  let asA: TenantContext;
  let asB: TenantContext;
  let tables: TenantTable[];
  /** Owner's view (RLS bypassed) right after seeding: table → tenant id → rows. */
  let seeded: Map<string, Map<string, number>>;

  const table = (name: string) => tables.find((candidate) => candidate.name === name)!;
  const appCan = async (tableName: string, privilege: string) =>
    (await t.db.asOwner<{ ok: boolean }>(`SELECT has_table_privilege('pactum_app', $1::regclass, $2) AS ok`, [tableName, privilege]))[0]!
      .ok;
  const snapshot = async () => new Map(await Promise.all(tables.map(async (x) => [x.name, await ownerCounts(t.db, x)] as const)));

  beforeAll(async () => {
    t = await startTestApp();
    a = await registerCompany(t, { companyName: 'Tenant A AG', name: 'Alice Ammann' });
    b = await registerCompany(t, { companyName: 'Tenant B GmbH', name: 'Bruno Baumann' });
    // A second session and a login challenge for each, so those tables hold rows of both tenants.
    await login(t, a);
    await login(t, b);
    asA = { tenantId: a.tenantId, userId: a.userId };
    asB = { tenantId: b.tenantId, userId: b.userId };
    tables = await tenantTables(t.db);
    seeded = await snapshot();
  });
  afterAll(() => t?.close());

  it('discovers the tenant tables from the catalog, the core ones included', () => {
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(CORE_TENANT_TABLES));
    expect(table('tenants').tenantColumn).toBe('id');
    expect(table('users').tenantColumn).toBe('tenant_id');
  });

  it('seeded rows of both tenants into every core tenant table (so the checks below are not vacuous)', () => {
    expect(a.tenantId).not.toBe(b.tenantId);
    for (const name of CORE_TENANT_TABLES) {
      const counts = seeded.get(name)!;
      expect(counts.get(a.tenantId) ?? 0, `${name} rows of A`).toBeGreaterThan(0);
      expect(counts.get(b.tenantId) ?? 0, `${name} rows of B`).toBeGreaterThan(0);
    }
    // Two sessions and two challenges each: signup and login.
    expect(seeded.get('sessions')!.get(a.tenantId)).toBe(2);
    expect(seeded.get('otp_challenges')!.get(a.tenantId)).toBe(2);
  });

  it.each([
    ['A', () => asA, () => a.tenantId],
    ['B', () => asB, () => b.tenantId],
  ])('as the app in tenant %s, SELECT * from every tenant table shows only its own rows, all of them', async (_label, context, own) => {
    for (const x of tables) {
      const rows = await inTenant(
        t.db.database.kysely,
        context(),
        async (tx) => (await sql.raw<Record<string, unknown>>(`SELECT * FROM ${ident(x.name)}`).execute(tx)).rows,
      );
      const foreign = rows.filter((row) => row[x.tenantColumn] !== own());
      expect(foreign, `rows of other tenants in ${x.name}`).toEqual([]);
      if (CORE_TENANT_TABLES.includes(x.name)) {
        expect(rows.length, `own rows visible in ${x.name}`).toBe(seeded.get(x.name)!.get(own()));
      } else {
        expect(rows.length, `own rows visible in ${x.name}`).toBeLessThanOrEqual(seeded.get(x.name)!.get(own()) ?? 0);
      }
    }
  });

  it('finds nothing of B from A even when asking for it by id', async () => {
    const found = await inTenant(t.db.database.kysely, asA, async (tx) => ({
      tenants: (await sql`SELECT id FROM tenants WHERE id = ${b.tenantId}`.execute(tx)).rows,
      users: (await sql`SELECT id FROM users WHERE tenant_id = ${b.tenantId} OR id = ${b.userId}`.execute(tx)).rows,
      sessions: (await sql`SELECT id FROM sessions WHERE user_id = ${b.userId}`.execute(tx)).rows,
      ownUser: (await sql`SELECT id FROM users WHERE id = ${a.userId}`.execute(tx)).rows,
    }));
    expect(found).toEqual({ tenants: [], users: [], sessions: [], ownUser: [{ id: a.userId }] });
  });

  it('without a tenant setting, every tenant table is empty to the app', async () => {
    const seen = await asAppWithoutTenant(t.db.database.kysely, async (tx) => {
      const setting = (await sql<{ s: string | null }>`SELECT current_setting('pactum.tenant_id', true) AS s`.execute(tx)).rows[0]!.s;
      const counts: Record<string, number> = {};
      for (const x of tables)
        counts[x.name] = (await sql.raw<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(x.name)}`).execute(tx)).rows[0]!.n;
      return { setting, counts };
    });
    // Unset, or '' on a pooled connection that had a transaction-local value before.
    expect([null, '']).toContain(seen.setting);
    expect(seen.counts).toEqual(Object.fromEntries(tables.map((x) => [x.name, 0])));
  });

  it("with pactum.tenant_id set to '', every tenant table is empty to the app", async () => {
    const counts = await inTenant(t.db.database.kysely, { tenantId: '', userId: a.userId }, async (tx) => {
      expect((await sql<{ s: string }>`SELECT current_setting('pactum.tenant_id', true) AS s`.execute(tx)).rows[0]!.s).toBe('');
      const result: Record<string, number> = {};
      for (const x of tables)
        result[x.name] = (await sql.raw<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(x.name)}`).execute(tx)).rows[0]!.n;
      return result;
    });
    expect(counts).toEqual(Object.fromEntries(tables.map((x) => [x.name, 0])));
  });

  it('a tenant setting that is not a uuid fails the query instead of matching anything', async () => {
    for (const x of tables) {
      const state = await sqlStateOf(() =>
        inTenant(t.db.database.kysely, { tenantId: 'not-a-uuid', userId: null }, (tx) =>
          sql.raw(`SELECT * FROM ${ident(x.name)}`).execute(tx),
        ),
      );
      expect(state, x.name).toBe('22P02');
    }
  });

  it('settings end with the transaction: the next one on the same connection sees nothing, as pactum_app still', async () => {
    const kysely = t.db.database.kysely;
    const during = await inTenant(
      kysely,
      asA,
      async (tx) =>
        (await sql<{ pid: number; n: number }>`SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM users) AS n`.execute(tx))
          .rows[0]!,
    );
    const next = await asAppWithoutTenant(
      kysely,
      async (tx) =>
        (
          await sql<{
            pid: number;
            n: number;
            s: string | null;
          }>`SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM users) AS n, current_setting('pactum.tenant_id', true) AS s`.execute(
            tx,
          )
        ).rows[0]!,
    );
    const outside = (
      await sql<{
        pid: number;
        who: string;
        s: string | null;
      }>`SELECT pg_backend_pid() AS pid, current_user AS who, current_setting('pactum.tenant_id', true) AS s`.execute(kysely)
    ).rows[0]!;
    expect(during.n).toBeGreaterThan(0);
    expect(next.pid).toBe(during.pid);
    expect(outside.pid).toBe(during.pid);
    expect(next.n).toBe(0);
    expect([null, '']).toContain(next.s);
    expect([null, '']).toContain(outside.s);
    // The connection itself stays pactum_app: the service logs in as it (least privilege).
    expect(outside.who).toBe('pactum_app');
  });

  it("UPDATE of B's rows from A affects 0 rows; an unqualified UPDATE reaches only A's rows", async () => {
    for (const x of tables) {
      const column = sql.ref(x.tenantColumn);
      const targetB = () =>
        inTenantRolledBack(t.db.database.kysely, asA, async (tx) =>
          Number(
            (await sql`UPDATE ${sql.table(x.name)} SET ${column} = ${column} WHERE ${column} = ${b.tenantId}`.execute(tx)).numAffectedRows,
          ),
        );
      // Reads no column (no WHERE, no RETURNING, a constant SET), so only the UPDATE side of the policy filters it.
      const everything = () =>
        inTenantRolledBack(t.db.database.kysely, asA, async (tx) =>
          Number((await sql`UPDATE ${sql.table(x.name)} SET ${column} = pactum_current_tenant()`.execute(tx)).numAffectedRows),
        );
      if (await appCan(x.name, 'UPDATE')) {
        expect(await targetB(), x.name).toBe(0);
        expect(await everything(), x.name).toBe(seeded.get(x.name)!.get(a.tenantId) ?? 0);
      } else {
        expect(await sqlStateOf(targetB), x.name).toBe('42501');
      }
    }
    expect(await appCan('users', 'UPDATE')).toBe(true);
    expect(await snapshot()).toEqual(seeded);
  });

  it("DELETE of B's rows from A is refused or affects 0 rows", async () => {
    for (const x of tables) {
      const column = sql.ref(x.tenantColumn);
      const deleteB = () =>
        inTenantRolledBack(t.db.database.kysely, asA, async (tx) =>
          Number((await sql`DELETE FROM ${sql.table(x.name)} WHERE ${column} = ${b.tenantId}`.execute(tx)).numAffectedRows),
        );
      if (await appCan(x.name, 'DELETE')) expect(await deleteB(), x.name).toBe(0);
      else expect(await sqlStateOf(deleteB), x.name).toBe('42501');
    }
    expect(await snapshot()).toEqual(seeded);
  });

  it('the policy alone holds: with every DML privilege granted, A still updates and deletes only its own rows', async () => {
    const outcome = await asOwnerRolledBack(t.db.owner, async (tx) => {
      // Grants are transactional and this transaction is always rolled back, so nothing here persists.
      await sql.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.map((x) => ident(x.name)).join(', ')} TO pactum_app`).execute(tx);
      // Foreign-key triggers off (superuser, transaction-local), so an unqualified DELETE is not stopped by
      // references and shows exactly which rows the policy lets through.
      await sql`SELECT set_config('session_replication_role', 'replica', true)`.execute(tx);
      await becomeApp(tx, a.tenantId);
      const affected: Record<string, { updateB: number; deleteB: number; updateAll: number; deleteAll: number }> = {};
      for (const x of tables) {
        const column = sql.ref(x.tenantColumn);
        const run = async (query: ReturnType<typeof sql>) => Number((await query.execute(tx)).numAffectedRows);
        affected[x.name] = {
          updateB: await run(sql`UPDATE ${sql.table(x.name)} SET ${column} = ${column} WHERE ${column} = ${b.tenantId}`),
          deleteB: await run(sql`DELETE FROM ${sql.table(x.name)} WHERE ${column} = ${b.tenantId}`),
          updateAll: await run(sql`UPDATE ${sql.table(x.name)} SET ${column} = pactum_current_tenant()`),
          deleteAll: await run(sql`DELETE FROM ${sql.table(x.name)}`),
        };
      }
      // Back to the owner inside the same transaction, to count what is left of B before the rollback.
      await sql`RESET ROLE`.execute(tx);
      const leftOfB: Record<string, number> = {};
      for (const x of tables) {
        leftOfB[x.name] = (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM ${sql.table(x.name)} WHERE ${sql.ref(x.tenantColumn)} = ${b.tenantId}`.execute(tx)
        ).rows[0]!.n;
      }
      return { affected, leftOfB };
    });
    const ownRows = (name: string) => seeded.get(name)!.get(a.tenantId) ?? 0;
    const rowsOfB = (name: string) => seeded.get(name)!.get(b.tenantId) ?? 0;
    expect(outcome.affected).toEqual(
      Object.fromEntries(tables.map((x) => [x.name, { updateB: 0, deleteB: 0, updateAll: ownRows(x.name), deleteAll: ownRows(x.name) }])),
    );
    expect(outcome.leftOfB).toEqual(Object.fromEntries(tables.map((x) => [x.name, rowsOfB(x.name)])));
    expect(ownRows('users')).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(seeded);
    expect(await appCan('users', 'DELETE')).toBe(false);
  });

  it("INSERT into users with B's tenant_id fails the policy's WITH CHECK (42501); the same row for A is accepted", async () => {
    // No RETURNING: it would apply the SELECT policy to the new row as well and hide a missing WITH CHECK.
    const insertUser = (tenantId: string) => () =>
      inTenantRolledBack(t.db.database.kysely, asA, async (tx) => {
        const inserted = await sql`INSERT INTO users (tenant_id, name, email, role, status)
        VALUES (${tenantId}, 'Mallory Mole', ${`mallory.${randomUUID()}@example.com`}, 'member', 'active')`.execute(tx);
        return Number(inserted.numAffectedRows);
      });
    expect(await sqlStateOf(insertUser(b.tenantId))).toBe('42501');
    expect(await errorMessageOf(insertUser(b.tenantId))).toMatch(/row-level security policy "tenant_isolation" for table "users"/);
    expect(await insertUser(a.tenantId)()).toBe(1);

    const defaulted = await inTenantRolledBack(
      t.db.database.kysely,
      asA,
      async (tx) =>
        (
          await sql<{ tenant_id: string }>`INSERT INTO users (name, email, role, status)
        VALUES ('Mallory Mole', ${`mallory.${randomUUID()}@example.com`}, 'member', 'active') RETURNING tenant_id`.execute(tx)
        ).rows,
    );
    expect(defaulted).toEqual([{ tenant_id: a.tenantId }]);
  });

  it('A cannot create another tenant, nor move its own rows into B', async () => {
    const newTenant = () =>
      inTenantRolledBack(t.db.database.kysely, asA, (tx) =>
        sql`INSERT INTO tenants (id, name) VALUES (${randomUUID()}, 'Shadow Corp')`.execute(tx),
      );
    expect(await errorMessageOf(newTenant)).toMatch(/row-level security policy "tenant_isolation" for table "tenants"/);
    for (const x of tables) {
      if (!(seeded.get(x.name)!.get(a.tenantId)! > 0) || !(await appCan(x.name, 'UPDATE'))) continue;
      const column = sql.ref(x.tenantColumn);
      const move = () =>
        inTenantRolledBack(t.db.database.kysely, asA, (tx) => sql`UPDATE ${sql.table(x.name)} SET ${column} = ${b.tenantId}`.execute(tx));
      expect(await sqlStateOf(move), x.name).toBe('42501');
      expect(await errorMessageOf(move), x.name).toMatch(/row-level security policy "tenant_isolation"/);
    }
  });

  it("a row of A cannot point at B's user: the composite foreign key includes tenant_id (23503)", async () => {
    const insertSession = (userId: string) => () =>
      inTenantRolledBack(
        t.db.database.kysely,
        asA,
        async (tx) =>
          (
            await sql<{ tenant_id: string }>`INSERT INTO sessions (user_id, token_hash, expires_at)
        VALUES (${userId}, decode(${randomBytes(32).toString('hex')}, 'hex'), now() + interval '1 hour') RETURNING tenant_id`.execute(tx)
          ).rows,
      );
    expect(await sqlStateOf(insertSession(b.userId))).toBe('23503');
    expect(await insertSession(a.userId)()).toEqual([{ tenant_id: a.tenantId }]);
  });

  it('the sealed global tables are not readable or writable by the app at all (42501), with or without a tenant', async () => {
    const sealed = await globalTables(t.db);
    expect(sealed.map((x) => x.name)).toEqual(expect.arrayContaining(CORE_SEALED_TABLES));
    // They do hold both tenants' data: the refusal is not an empty table.
    const emails = await t.db.asOwner<{ tenant_id: string }>('SELECT DISTINCT tenant_id::text AS tenant_id FROM account_emails');
    expect(emails.map((row) => row.tenant_id)).toEqual(expect.arrayContaining([a.tenantId, b.tenantId]));

    for (const { name } of sealed) {
      for (const statement of [`SELECT * FROM ${ident(name)}`, `INSERT INTO ${ident(name)} DEFAULT VALUES`, `DELETE FROM ${ident(name)}`]) {
        const withTenant = () => inTenantRolledBack(t.db.database.kysely, asA, (tx) => sql.raw(statement).execute(tx));
        const withoutTenant = () => asAppWithoutTenant(t.db.database.kysely, (tx) => sql.raw(statement).execute(tx));
        expect(await sqlStateOf(withTenant), `${statement} in tenant A`).toBe('42501');
        expect(await errorMessageOf(withTenant), statement).toMatch(/permission denied/);
        expect(await sqlStateOf(withoutTenant), `${statement} without tenant`).toBe('42501');
      }
    }
    // What the app needs from them comes through a door, and only the answer to its question.
    const door = await asAppWithoutTenant(
      t.db.database.kysely,
      async (tx) =>
        (
          await sql<{
            tenant_id: string;
            user_id: string;
          }>`SELECT tenant_id, user_id FROM pactum_find_login(${a.email.toUpperCase()})`.execute(tx)
        ).rows,
    );
    expect(door).toEqual([{ tenant_id: a.tenantId, user_id: a.userId }]);
  });

  it('TRUNCATE, which ignores policies, is denied to the app on every table in public (42501)', async () => {
    const all = await t.db.asOwner<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
    );
    expect(all.map((x) => x.name)).toEqual(expect.arrayContaining([...CORE_TENANT_TABLES, ...CORE_SEALED_TABLES, 'pactum_migrations']));
    for (const { name } of all) {
      const truncate = () => inTenantRolledBack(t.db.database.kysely, asA, (tx) => sql.raw(`TRUNCATE ${ident(name)} CASCADE`).execute(tx));
      expect(await sqlStateOf(truncate), name).toBe('42501');
      expect(await errorMessageOf(truncate), name).toMatch(/permission denied/);
    }
    expect(await snapshot()).toEqual(seeded);
  });
});

/**
 * A connection that never carried a tenant setting (current_setting returns NULL, not ''): a fresh
 * database with rows inserted by the owner, read as the app before anything set pactum.tenant_id.
 */
describe(`row-level security on a connection that never had a tenant (${engineName})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const [tenantA, tenantB, userA, userB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await db.asOwner(`INSERT INTO tenants (id, name, status) VALUES ($1, 'Never A', 'active'), ($2, 'Never B', 'active')`, [
      tenantA,
      tenantB,
    ]);
    await db.asOwner(
      `INSERT INTO users (tenant_id, id, name, email, role, status)
       VALUES ($1, $2, 'Ann', 'ann@example.com', 'master', 'active'), ($3, $4, 'Ben', 'ben@example.com', 'master', 'active')`,
      [tenantA, userA, tenantB, userB],
    );
    await db.asOwner(
      `INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, decode(repeat('a1', 32), 'hex'), now() + interval '1 day'), ($3, $4, decode(repeat('b2', 32), 'hex'), now() + interval '1 day')`,
      [tenantA, userA, tenantB, userB],
    );
    await db.asOwner(
      `INSERT INTO otp_challenges (tenant_id, user_id, purpose, phone_e164, channel, language, code_hash, expires_at)
       VALUES ($1, $2, 'login', '+41791234567', 'sms', 'en', '\\x00', now() + interval '10 minutes'),
              ($3, $4, 'login', '+41791234568', 'sms', 'en', '\\x00', now() + interval '10 minutes')`,
      [tenantA, userA, tenantB, userB],
    );
  });
  afterAll(() => db?.drop());

  it('sees zero rows in every tenant table although the owner sees both tenants', async () => {
    const tables = await tenantTables(db);
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(CORE_TENANT_TABLES));
    for (const name of CORE_TENANT_TABLES) {
      expect((await db.asOwner<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(name)}`))[0]!.n, name).toBe(2);
    }
    const seen = await asAppWithoutTenant(db.database.kysely, async (tx) => {
      const setting = (await sql<{ s: string | null }>`SELECT current_setting('pactum.tenant_id', true) AS s`.execute(tx)).rows[0]!.s;
      const counts: Record<string, number> = {};
      for (const x of tables)
        counts[x.name] = (await sql.raw<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(x.name)}`).execute(tx)).rows[0]!.n;
      return { setting, counts };
    });
    expect(seen.setting).toBeNull();
    expect(seen.counts).toEqual(Object.fromEntries(tables.map((x) => [x.name, 0])));
  });
});
