import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';
import { CORE_SEALED_TABLES, CORE_TENANT_TABLES, globalTables, tenantTables, type TenantTable } from './catalog.js';

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];
/** The documented exception: random token hashes, looked up before the tenant is known. */
const GLOBAL_UNIQUE_INDEXES = ['invitations_token_hash', 'password_resets_token_hash', 'sessions_token_hash'];

/**
 * The schema as the catalog describes it after all migrations: every table is either isolated by tenant or
 * sealed, the app role is powerless beyond its grants, and the SECURITY DEFINER doors are locked down.
 * Each check reads the catalog, so a table or function added later is covered without editing this file.
 */
describe(`catalog checks of tenant isolation (${engineName})`, () => {
  let db: TestDatabase;
  let tenant: TenantTable[];

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await tenantTables(db);
  });
  afterAll(() => db?.drop());

  /** Which of the privileges a role holds on a table, at table level or on any column. */
  async function privileges(role: string, table: string): Promise<string[]> {
    const rows = await db.asOwner<{ privilege: string; table_level: boolean; any_column: boolean | null }>(
      `SELECT p AS privilege, has_table_privilege($1, $2::regclass, p) AS table_level,
              CASE WHEN p = ANY ($3::text[]) THEN has_any_column_privilege($1, $2::regclass, p) END AS any_column
         FROM unnest($4::text[]) AS p`,
      [role, table, COLUMN_PRIVILEGES, TABLE_PRIVILEGES],
    );
    return rows.filter((row) => row.table_level || row.any_column).map((row) => row.privilege);
  }

  it('finds the core tenant tables by their tenant_isolation policy', () => {
    expect(tenant.map((x) => x.name)).toEqual(expect.arrayContaining(CORE_TENANT_TABLES));
  });

  it('gives every tenant table FORCE ROW LEVEL SECURITY and a restrictive FOR ALL policy on its uuid tenant column', async () => {
    for (const x of tenant) {
      expect({ table: x.name, forced: x.forced, permissive: x.permissive, command: x.command, toPublic: x.appliesToPublic }).toEqual({
        table: x.name,
        forced: true,
        permissive: false,
        command: '*',
        toPublic: true,
      });
      const expression = `(${x.tenantColumn} = pactum_current_tenant())`;
      expect({ table: x.name, using: x.using, withCheck: x.withCheck }).toEqual({
        table: x.name,
        using: expression,
        withCheck: expression,
      });
      const [column] = await db.asOwner<{ type: string; not_null: boolean }>(
        `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS not_null FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
        [x.name, x.tenantColumn],
      );
      expect({ table: x.name, ...column }).toEqual({ table: x.name, type: 'uuid', not_null: true });
    }
  });

  it('leaves no table in public unclassified: each is a tenant table or a sealed global table', async () => {
    const all = await db.asOwner<{ name: string; rls: boolean }>(
      `SELECT relname AS name, relrowsecurity AS rls FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relname <> 'pactum_migrations' ORDER BY 1`,
    );
    const global = await globalTables(db);
    expect(global.map((x) => x.name)).toEqual(expect.arrayContaining(CORE_SEALED_TABLES));
    expect([...tenant.map((x) => x.name), ...global.map((x) => x.name)].sort()).toEqual(all.map((x) => x.name).sort());
    for (const x of global) {
      expect({ table: x.name, rowSecurity: x.rowSecurity }).toEqual({ table: x.name, rowSecurity: true });
      expect({ table: x.name, app: await privileges('pactum_app', x.name), public: await privileges('public', x.name) }).toEqual({
        table: x.name,
        app: [],
        public: [],
      });
    }
  });

  it('lets the app at most read pactum_migrations, and TRUNCATE no table at all', async () => {
    // SELECT would be harmless (an app connecting as pactum_app checks for pending migrations at start);
    // writing the migration history would not be.
    expect((await privileges('pactum_app', 'pactum_migrations')).filter((p) => p !== 'SELECT')).toEqual([]);
    expect(await privileges('public', 'pactum_migrations')).toEqual([]);
    const truncatable = await db.asOwner<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND (has_table_privilege('pactum_app', c.oid, 'TRUNCATE') OR has_table_privilege('public', c.oid, 'TRUNCATE'))`,
    );
    expect(truncatable).toEqual([]);
    // Non-vacuous: the app does hold its ordinary grants on tenant tables.
    expect(await privileges('pactum_app', 'users')).toEqual(expect.arrayContaining(['SELECT', 'INSERT', 'UPDATE']));
  });

  it("lets the app read no view that would run with its owner's rights (views need security_invoker)", async () => {
    const views = await db.asOwner<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
          AND has_table_privilege('pactum_app', c.oid, 'SELECT')
          AND NOT (c.relkind = 'v' AND coalesce(c.reloptions, '{}') && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'])`,
    );
    expect(views).toEqual([]);
  });

  it('makes pactum_app a plain role: no superuser, no BYPASSRLS, no memberships, owning nothing', async () => {
    const [role] = await db.asOwner<Record<string, boolean>>(
      `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication FROM pg_roles WHERE rolname = 'pactum_app'`,
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false });
    const memberOf = await db.asOwner(`SELECT roleid::regrole::text AS role FROM pg_auth_members WHERE member = 'pactum_app'::regrole`);
    expect(memberOf).toEqual([]);
    const owned = await db.asOwner(
      `SELECT 'relation' AS kind, relname AS name FROM pg_class WHERE relowner = 'pactum_app'::regrole
        UNION ALL SELECT 'function', proname FROM pg_proc WHERE proowner = 'pactum_app'::regrole
        UNION ALL SELECT 'schema', nspname FROM pg_namespace WHERE nspowner = 'pactum_app'::regrole
        UNION ALL SELECT 'type', typname FROM pg_type WHERE typowner = 'pactum_app'::regrole`,
    );
    expect(owned).toEqual([]);
    // Owner check is not vacuous: the tables are owned, by the migrating role.
    const [owners] = await db.asOwner<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY ($1::text[]) AND relnamespace = 'public'::regnamespace AND relowner <> 'pactum_app'::regrole`,
      [CORE_TENANT_TABLES],
    );
    expect(owners!.n).toBe(CORE_TENANT_TABLES.length);
    const [creates] = await db.asOwner<{ schema: boolean; database: boolean }>(
      `SELECT has_schema_privilege('pactum_app', 'public', 'CREATE') AS schema, has_database_privilege('pactum_app', current_database(), 'CREATE') AS database`,
    );
    expect(creates).toEqual({ schema: false, database: false });
  });

  it('locks down every SECURITY DEFINER function: fixed search_path ending in pg_temp, not PUBLIC, but the app', async () => {
    const doors = await db.asOwner<{
      name: string;
      config: string[] | null;
      public_can: boolean;
      public_in_acl: boolean;
      app_can: boolean;
      owner: string;
      trigger: boolean;
    }>(`
      SELECT p.oid::regprocedure::text AS name, p.proconfig AS config, p.prorettype = 'trigger'::regtype AS trigger,
             has_function_privilege('public', p.oid, 'EXECUTE') AS public_can,
             EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
                      WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE') AS public_in_acl,
             has_function_privilege('pactum_app', p.oid, 'EXECUTE') AS app_can,
             p.proowner::regrole::text AS owner
        FROM pg_proc p
       WHERE p.prosecdef AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       ORDER BY 1`);
    expect(doors.map((door) => door.name.replace(/\(.*/, ''))).toEqual(
      expect.arrayContaining([
        'pactum_claim_email',
        'pactum_find_login',
        'pactum_challenge_tenant',
        'pactum_enter_session',
        'pactum_rate_limit_hit',
      ]),
    );
    for (const door of doors) {
      expect(door.name, 'SECURITY DEFINER only in schema public').not.toMatch(/\./);
      const searchPath = (door.config ?? []).find((entry) => entry.startsWith('search_path='));
      const schemas =
        searchPath
          ?.slice('search_path='.length)
          .split(',')
          .map((s) => s.trim().replace(/^"|"$/g, '')) ?? [];
      expect({ door: door.name, pgTempLast: schemas.at(-1) }).toEqual({ door: door.name, pgTempLast: 'pg_temp' });
      expect({
        door: door.name,
        publicCan: door.public_can,
        publicInAcl: door.public_in_acl,
        ownedByApp: door.owner === 'pactum_app',
      }).toEqual({ door: door.name, publicCan: false, publicInAcl: false, ownedByApp: false });
      // A door is called by the app; a trigger function is fired by PostgreSQL, which checks no EXECUTE privilege.
      if (!door.trigger) expect({ door: door.name, appCan: door.app_can }).toEqual({ door: door.name, appCan: true });
    }
  });

  it('reads a missing ACL as the default, which lets PUBLIC execute (so the check above can fail)', async () => {
    const [plain] = await db.asOwner<{ acl: string | null; public_can: boolean; public_in_acl: boolean }>(`
      SELECT p.proacl::text AS acl, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can,
             EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
                      WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE') AS public_in_acl
        FROM pg_proc p WHERE p.oid = 'pactum_current_tenant()'::regprocedure`);
    expect(plain).toEqual({ acl: null, public_can: true, public_in_acl: true });
  });

  it("includes the tenant column in every tenant table's unique and foreign keys (tenants: its id)", async () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const x of tenant) {
      const rows = await db.asOwner<{ name: string; type: string; has_tenant: boolean; foreign_paired: boolean | null }>(
        `
        SELECT c.conname AS name, c.contype::text AS type,
               t.attnum = ANY (c.conkey) AS has_tenant,
               CASE WHEN c.contype = 'f' THEN
                 -- the tenant column must be matched with the referenced table's tenant column, when that table has one
                 (SELECT c.confkey[array_position(c.conkey, t.attnum)] = rt.attnum
                    FROM pg_policy rp
                    JOIN pg_attribute rt ON rt.attrelid = c.confrelid
                                        AND rt.attname = substring(pg_get_expr(rp.polqual, rp.polrelid) FROM '^\\((\\w+) = pactum_current_tenant\\(\\)\\)$')
                   WHERE rp.polrelid = c.confrelid AND rp.polname = 'tenant_isolation')
               END AS foreign_paired
          FROM pg_constraint c
          JOIN pg_attribute t ON t.attrelid = c.conrelid AND t.attname = $2
         WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'f', 'x')`,
        [x.name, x.tenantColumn],
      );
      for (const row of rows) {
        checked += 1;
        if (!row.has_tenant) offenders.push(`${x.name}.${row.name} (${row.type}) lacks ${x.tenantColumn}`);
        if (row.foreign_paired === false) offenders.push(`${x.name}.${row.name} pairs ${x.tenantColumn} with another column`);
      }
    }
    expect(offenders).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(7); // 4 primary keys, users (tenant_id, email), 3 foreign keys at least
  });

  it('keeps every foreign key into a tenant table tenant-scoped, wherever it comes from', async () => {
    const offenders = await db.asOwner<{ name: string }>(`
      SELECT c.conrelid::regclass::text || '.' || c.conname AS name
        FROM pg_constraint c
        JOIN pg_policy rp ON rp.polrelid = c.confrelid AND rp.polname = 'tenant_isolation'
        JOIN pg_attribute rt ON rt.attrelid = c.confrelid
                            AND rt.attname = substring(pg_get_expr(rp.polqual, rp.polrelid) FROM '^\\((\\w+) = pactum_current_tenant\\(\\)\\)$')
       WHERE c.contype = 'f' AND NOT (rt.attnum = ANY (c.confkey))`);
    expect(offenders).toEqual([]);
    const [incoming] = await db.asOwner<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND confrelid = 'users'::regclass`,
    );
    expect(incoming!.n).toBeGreaterThanOrEqual(3); // sessions, otp_challenges, account_emails
  });

  it('has only the token-hash indexes as unique indexes on a tenant table without the tenant column', async () => {
    const global: string[] = [];
    for (const x of tenant) {
      const rows = await db.asOwner<{ name: string }>(
        `
        SELECT i.indexrelid::regclass::text AS name
          FROM pg_index i
          JOIN pg_attribute t ON t.attrelid = i.indrelid AND t.attname = $2
         WHERE i.indrelid = $1::regclass AND i.indisunique
           -- key columns only: an INCLUDE column does not take part in uniqueness
           AND NOT (t.attnum = ANY ((string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts]))`,
        [x.name, x.tenantColumn],
      );
      global.push(...rows.map((row) => row.name));
    }
    expect(global.sort()).toEqual(GLOBAL_UNIQUE_INDEXES);
    for (const name of GLOBAL_UNIQUE_INDEXES) {
      const [tokenIndex] = await db.asOwner<{ definition: string }>(`SELECT pg_get_indexdef($1::regclass) AS definition`, [name]);
      expect(tokenIndex!.definition).toMatch(new RegExp(`^CREATE UNIQUE INDEX ${name} ON public\\.\\w+ USING btree \\(token_hash\\)$`));
    }
  });
});
