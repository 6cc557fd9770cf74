import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInSession } from '../../src/db/tenant-context.js';
import { ProblemError, notFound } from '../../src/http/problem.js';
import { createSessionCookies, createSessionGuard, IDLE_TIMEOUT_SECONDS } from '../../src/identity/sessions.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName, serverUrl } from '../helpers/test-database.js';

/**
 * Scoped reads (SessionGuard.scoped) send the session check with the work's first statement. These tests
 * pin down what that must not change: a dead session gets 401 and nothing else, and the database itself
 * refuses whatever was sent behind the check.
 */
describe(`scoped reads (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    // Sequences are not transactional: if a statement sent behind a refused check ever ran, it shows.
    await t.db.asOwner('CREATE SEQUENCE scoped_read_probe');
    await t.db.asOwner('GRANT USAGE ON SEQUENCE scoped_read_probe TO pactum_app');
  });
  afterAll(() => t.close());

  const guard = () => createSessionGuard(t.db.database.kysely, createSessionCookies(new URL(t.config.publicUrl)));
  const requestWith = (token: string) => ({ method: 'GET', cookies: { pactum_session: token } }) as never;
  const isStatus = (status: number) => (error: unknown) => error instanceof ProblemError && error.status === status;
  const probeRan = async () => (await t.db.asOwner<{ is_called: boolean }>('SELECT is_called FROM scoped_read_probe'))[0]!.is_called;

  it('refuses in the database: a statement sent behind the check of a dead session never runs', async () => {
    const deadToken = randomBytes(32);
    const attempt = readInSession(t.db.database.kysely, { tokenHash: deadToken, idleSeconds: IDLE_TIMEOUT_SECONDS }, (tx) =>
      sql`SELECT nextval('scoped_read_probe')`.execute(tx),
    );
    await expect(attempt).rejects.toMatchObject({ code: '28000' });
    expect(await probeRan()).toBe(false);
  });

  it('answers 401 for a session ended a moment ago, and serves the same request while it was live', async () => {
    const company = await registerCompany(t);
    const before = await company.client.get('/api/v1/contracts');
    expect(before.statusCode).toBe(200);
    await t.db.asOwner("UPDATE sessions SET ended_at = now(), ended_reason = 'revoked' WHERE user_id = $1", [company.userId]);
    for (const path of ['/api/v1/contracts', '/api/v1/vendors', '/api/v1/licenses', '/api/v1/deadlines']) {
      const after = await company.client.get(path);
      expect(after.statusCode, path).toBe(401);
      expect(after.json(), path).toMatchObject({ code: 'unauthenticated' });
      expect(after.body, path).not.toContain('"items"');
    }
  });

  it("lets 401 win over the work's own error when the work fails before it sends a statement", async () => {
    const company = await registerCompany(t);
    const failsAtOnce = async () => {
      throw notFound();
    };
    await expect(guard().scoped(requestWith(company.client.cookie!), failsAtOnce)).rejects.toSatisfy(isStatus(404));
    await expect(guard().scoped(requestWith(randomBytes(32).toString('base64url')), failsAtOnce)).rejects.toSatisfy(isStatus(401));
  });

  it('refuses any write after the check: the transaction is read-only', async () => {
    const company = await registerCompany(t);
    const write = guard().scoped(requestWith(company.client.cookie!), (tx) =>
      tx.insertInto('vendors').values({ name: 'Written by a read', website: null, notes: null, aliases: [] }).execute(),
    );
    await expect(write).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
    expect(await t.db.asOwner('SELECT 1 FROM vendors WHERE name = $1', ['Written by a read'])).toHaveLength(0);
  });

  // A scoped read is one transaction, as on the embedded engine (whose single connection lets nothing
  // interleave, hence server only): a session ended while a read is under way does not cut it short — the
  // check passed when it began — and the next read gets 401.
  it.runIf(serverUrl)(
    'runs a read as one transaction: a session ended during it fails the next read, not this one (postgres)',
    async () => {
      const company = await registerCompany(t);
      const read = guard().scoped(requestWith(company.client.cookie!), async (tx) => {
        const first = (await sql<{ started: Date }>`SELECT now() AS started`.execute(tx)).rows[0]!.started;
        await t.db.asOwner("UPDATE sessions SET ended_at = now(), ended_reason = 'revoked' WHERE user_id = $1", [company.userId]);
        const second = (await sql<{ started: Date }>`SELECT now() AS started`.execute(tx)).rows[0]!.started;
        return { first, second };
      });
      const { first, second } = await read;
      expect(second).toEqual(first);
      const next = guard().scoped(requestWith(company.client.cookie!), (tx) => sql`SELECT 1`.execute(tx));
      await expect(next).rejects.toSatisfy(isStatus(401));
    },
  );

  it("runs the work in the caller's tenant as pactum_app", async () => {
    const company = await registerCompany(t);
    const context = await guard().scoped(
      requestWith(company.client.cookie!),
      async (tx) =>
        (
          await sql<{ role: string; tenant: string }>`SELECT current_user AS role, current_setting('pactum.tenant_id') AS tenant`.execute(
            tx,
          )
        ).rows[0],
    );
    expect(context).toEqual({ role: 'pactum_app', tenant: company.tenantId });
  });
});
