import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenant } from '../../src/db/tenant-context.js';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';
import { inTenantRolledBack, sqlStateOf } from './catalog.js';

/**
 * Line items are visible exactly when their contract is (migration 0006 keeps the contract's `restricted`
 * flag on each line item so the policy need not look the contract up per row). Checked in SQL as the app
 * role, for a member of the contract's access group and for a colleague outside it.
 */
describe(`line items follow their contract's visibility (${engineName})`, () => {
  let db: TestDatabase;
  const tenantId = randomUUID();
  const insiderId = randomUUID();
  const outsiderId = randomUUID();
  const restrictedId = randomUUID();
  const openId = randomUUID();
  let productId: string;
  let groupId: string;

  const visibleItems = (userId: string, contractId: string) =>
    inTenant(db.database.kysely, { tenantId, userId }, async (tx) => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM line_items WHERE contract_id = ${contractId}::uuid`.execute(
        tx,
      );
      return Number(rows[0]!.n);
    });
  const flags = async (contractId: string) =>
    (
      await db.asOwner<{ contract_restricted: boolean }>(
        'SELECT contract_restricted FROM line_items WHERE contract_id = $1 ORDER BY position',
        [contractId],
      )
    ).map((row) => row.contract_restricted);
  const insertItem = (contractId: string, position: number) => sql`
    INSERT INTO line_items (contract_id, position, product_id, quantity, block_size, list_unit_price, net_unit_price)
    VALUES (${contractId}::uuid, ${position}, ${productId}::uuid, 1, 1, 10, 10)`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.asOwner(`INSERT INTO tenants (id, name, status) VALUES ($1, 'Initech', 'active')`, [tenantId]);
    for (const [id, email] of [
      [insiderId, 'insider@initech.example'],
      [outsiderId, 'outsider@initech.example'],
    ]) {
      await db.asOwner(`INSERT INTO users (tenant_id, id, name, email, role, status) VALUES ($1, $2, 'User', $3, 'member', 'active')`, [
        tenantId,
        id,
        email,
      ]);
    }
    const [vendor] = await db.asOwner<{ id: string }>(`INSERT INTO vendors (tenant_id, name) VALUES ($1, 'Polaris') RETURNING id`, [
      tenantId,
    ]);
    const [product] = await db.asOwner<{ id: string }>(
      `INSERT INTO products (tenant_id, vendor_id, name, metric) VALUES ($1, $2, 'Database', 'core') RETURNING id`,
      [tenantId, vendor!.id],
    );
    productId = product!.id;
    for (const id of [restrictedId, openId]) {
      await db.asOwner(
        `INSERT INTO contracts (tenant_id, id, vendor_id, kind, title, status, starts_on, currency, manager_id)
         VALUES ($1, $2, $3, 'contract', 'Licences', 'active', '2025-01-01', 'EUR', $4)`,
        [tenantId, id, vendor!.id, insiderId],
      );
    }
    // Line items first, the group after: restricting a contract must carry its existing line items along.
    await inTenant(db.database.kysely, { tenantId, userId: insiderId }, async (tx) => {
      await insertItem(restrictedId, 0).execute(tx);
      await insertItem(restrictedId, 1).execute(tx);
      await insertItem(openId, 0).execute(tx);
    });
    const [group] = await db.asOwner<{ id: string }>(`INSERT INTO access_groups (tenant_id, name) VALUES ($1, 'Legal') RETURNING id`, [
      tenantId,
    ]);
    groupId = group!.id;
    await db.asOwner('INSERT INTO access_group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)', [tenantId, groupId, insiderId]);
    await db.asOwner('INSERT INTO contract_groups (tenant_id, contract_id, group_id) VALUES ($1, $2, $3)', [
      tenantId,
      restrictedId,
      groupId,
    ]);
  });

  afterAll(() => db?.drop());

  it('shows the line items of a restricted contract to group members only, and unrestricted ones to everybody', async () => {
    expect(await flags(restrictedId)).toEqual([true, true]);
    expect(await visibleItems(insiderId, restrictedId)).toBe(2);
    expect(await visibleItems(outsiderId, restrictedId)).toBe(0);
    expect(await visibleItems(outsiderId, openId)).toBe(1);
  });

  it('keeps the flag the contract’s: a writer cannot clear it, and new line items of a restricted contract get it', async () => {
    await inTenantRolledBack(db.database.kysely, { tenantId, userId: insiderId }, async (tx) => {
      await sql`UPDATE line_items SET contract_restricted = false WHERE contract_id = ${restrictedId}::uuid`.execute(tx);
      await insertItem(restrictedId, 2).execute(tx);
      const { rows } = await sql<{ flags: boolean[] }>`
        SELECT array_agg(contract_restricted ORDER BY position) AS flags FROM line_items WHERE contract_id = ${restrictedId}::uuid`.execute(
        tx,
      );
      expect(rows[0]!.flags).toEqual([true, true, true]);
    });
  });

  it('refuses an outsider writing or changing line items of a contract they cannot see', async () => {
    expect(
      await sqlStateOf(() =>
        inTenant(db.database.kysely, { tenantId, userId: outsiderId }, (tx) => insertItem(restrictedId, 5).execute(tx)),
      ),
    ).toBe('42501');
    const changed = await inTenantRolledBack(db.database.kysely, { tenantId, userId: outsiderId }, async (tx) => {
      const result = await sql`UPDATE line_items SET quantity = 99 WHERE contract_id = ${restrictedId}::uuid`.execute(tx);
      return Number(result.numAffectedRows ?? 0n);
    });
    expect(changed).toBe(0);
  });

  it('shows the line items to everybody again once the contract loses its last group', async () => {
    await db.asOwner('DELETE FROM contract_groups WHERE contract_id = $1', [restrictedId]);
    expect(await flags(restrictedId)).toEqual([false, false]);
    expect(await visibleItems(outsiderId, restrictedId)).toBe(2);
    await db.asOwner('INSERT INTO contract_groups (tenant_id, contract_id, group_id) VALUES ($1, $2, $3)', [
      tenantId,
      restrictedId,
      groupId,
    ]);
    expect(await visibleItems(outsiderId, restrictedId)).toBe(0);
  });
});
