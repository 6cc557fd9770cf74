import type { AuditAction } from '../../src/audit/actions.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/record.js';
import { AuditVerifyError, describeVerification, verifyAuditChains } from '../../src/audit/verify.js';
import { inTenant } from '../../src/db/tenant-context.js';
import { newGroup } from '../groups/helpers.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/**
 * The audit trail is append-only for the app and hash-chained per tenant. Tampering needs the owner;
 * the owner's edits, removals and reorderings are what `pactum audit verify` must name.
 */
describe(`audit trail integrity (${engineName})`, () => {
  let t: TestApp;
  let alpha: Registered;
  let beta: Registered;

  const verify = () => t.db.database.withScriptSession((session) => verifyAuditChains(session.query));

  /** Appends events as the app does, in the tenant's own transaction. */
  const appendEvents = async (company: Registered, count: number) => {
    for (let i = 0; i < count; i++) {
      await inTenant(t.db.database.kysely, { tenantId: company.tenantId, userId: company.userId }, (tx) =>
        recordAudit(
          tx,
          { actorId: company.userId, ip: '203.0.113.7', userAgent: 'verify-test' },
          {
            // Not one of AUDIT_ACTIONS, as a row of an older version may be: the chain covers it all the same.
            action: 'test.appended' as AuditAction,
            target: { type: 'test', id: String(i) },
            details: { index: i, note: 'naïve ünïcode ✓', nested: { b: 2, a: [1, 'x'] } },
          },
        ),
      );
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    alpha = await registerCompany(t, { companyName: 'Alpha AG' });
    beta = await registerCompany(t, { companyName: 'Beta AG' });
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    // Each case starts from known, intact chains: whatever signing up recorded and whatever an earlier
    // case tampered with is cleared, so that every chain starts again at seq 1.
    await t.db.asOwner('DELETE FROM audit_events');
    await newGroup(alpha.client, `Alpha group ${crypto.randomUUID()}`);
    await appendEvents(alpha, 4);
    await appendEvents(beta, 3);
  });

  const seqsOf = async (tenantId: string) =>
    (await t.db.asOwner<{ seq: string }>('SELECT seq::text FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenantId])).map((row) =>
      Number(row.seq),
    );

  it('numbers each tenant from 1 without gaps and verifies intact chains', async () => {
    expect(await seqsOf(alpha.tenantId)).toEqual([1, 2, 3, 4, 5]);
    expect(await seqsOf(beta.tenantId)).toEqual([1, 2, 3]);
    const [first, second] = await t.db.asOwner<{ prev_hash: Buffer | null; hash: Buffer }>(
      'SELECT prev_hash, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq LIMIT 2',
      [alpha.tenantId],
    );
    expect(first!.prev_hash).toBeNull();
    expect(Buffer.from(second!.prev_hash!).equals(Buffer.from(first!.hash))).toBe(true);
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.events).toBe(8);
    expect(result.tenants.map((tenant) => tenant.tenantId).sort()).toEqual([alpha.tenantId, beta.tenantId].sort());
    expect(describeVerification(result)).toBe('Audit trail intact: 8 events in 2 tenants verified.');
  });

  it('names the tenant and seq of a row whose content was changed', async () => {
    await t.db.asOwner(`UPDATE audit_events SET details = '{"index": 99}' WHERE tenant_id = $1 AND seq = 3`, [alpha.tenantId]);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toEqual([{ tenantId: alpha.tenantId, seq: '3', reason: expect.stringContaining('content does not match') }]);
    expect(describeVerification(result)).toMatch(new RegExp(`^audit trail broken in tenant ${alpha.tenantId} at seq 3: `));
  });

  it('notices an edit even when the edited row was rehashed, at the next row', async () => {
    await t.db.asOwner(`UPDATE audit_events SET actor_id = NULL WHERE tenant_id = $1 AND seq = 2`, [beta.tenantId]);
    await t.db.asOwner(`UPDATE audit_events e SET hash = pactum_audit_hash(e) WHERE tenant_id = $1 AND seq = 2`, [beta.tenantId]);
    const result = await verify();
    expect(result.broken).toEqual([{ tenantId: beta.tenantId, seq: '3', reason: expect.stringContaining('does not link') }]);
  });

  it('notices a removed middle row, a removed first row, and each broken tenant', async () => {
    await t.db.asOwner('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 3', [alpha.tenantId]);
    await t.db.asOwner('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 1', [beta.tenantId]);
    const result = await verify();
    const byTenant = Object.fromEntries(result.broken.map((broken) => [broken.tenantId, broken]));
    expect(byTenant[alpha.tenantId]).toEqual({
      tenantId: alpha.tenantId,
      seq: '4',
      reason: 'seq 4 follows seq 2 (rows in between removed)',
    });
    expect(byTenant[beta.tenantId]).toEqual({
      tenantId: beta.tenantId,
      seq: '2',
      reason: 'the chain starts at seq 2 instead of 1 (earlier rows removed)',
    });
    expect(describeVerification(result)).toMatch(/; 1 more tenant broken$/);
  });

  it('notices rows that swapped places', async () => {
    for (const [from, to] of [
      [2, 1000],
      [3, 2],
      [1000, 3],
    ]) {
      await t.db.asOwner('UPDATE audit_events SET seq = $3 WHERE tenant_id = $1 AND seq = $2', [beta.tenantId, from, to]);
    }
    const result = await verify();
    expect(result.broken).toEqual([{ tenantId: beta.tenantId, seq: '2', reason: expect.any(String) }]);
  });

  it('does not let the app role change or remove audit rows (42501)', async () => {
    const context = { tenantId: alpha.tenantId, userId: alpha.userId };
    for (const statement of [
      sql`UPDATE audit_events SET details = '{}'::jsonb`,
      sql`DELETE FROM audit_events`,
      sql`TRUNCATE audit_events`,
    ]) {
      await expect(inTenant(t.db.database.kysely, context, (tx) => statement.execute(tx))).rejects.toMatchObject({ code: '42501' });
    }
    expect((await verify()).ok).toBe(true);
    expect(await seqsOf(alpha.tenantId)).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not let the app choose the sequence, the time or the hash of a row', async () => {
    await inTenant(t.db.database.kysely, { tenantId: alpha.tenantId, userId: alpha.userId }, (tx) =>
      sql`INSERT INTO audit_events (seq, occurred_at, action, outcome, prev_hash, hash)
          VALUES (1, '2000-01-01', 'test.forged', 'success', '\\x00', '\\x00')`.execute(tx),
    );
    const [forged] = await t.db.asOwner<{ seq: string; year: number }>(
      `SELECT seq::text, extract(year FROM occurred_at)::int AS year FROM audit_events WHERE tenant_id = $1 AND action = 'test.forged'`,
      [alpha.tenantId],
    );
    expect(forged).toEqual({ seq: '6', year: new Date().getUTCFullYear() });
    expect((await verify()).ok).toBe(true);
  });

  it('refuses to verify as the app role, which would see an empty trail', async () => {
    await expect(
      t.db.database.withScriptSession(async (session) => {
        await session.query('SET ROLE pactum_app');
        try {
          return await verifyAuditChains(session.query);
        } finally {
          await session.query('RESET ROLE');
        }
      }),
    ).rejects.toThrow(AuditVerifyError);
  });
});
