import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferStatement } from '../../src/db/deferred-statements.js';
import { ProblemError, notFound } from '../../src/http/problem.js';
import { requireSessionAsApp } from '../../src/identity/queries.js';
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
    const attempt = t.db.database.kysely.transaction().execute(async (tx) => {
      const check = await deferStatement(tx, requireSessionAsApp(deadToken, IDLE_TIMEOUT_SECONDS).compile(tx));
      check.answer.catch(() => {});
      await sql`SELECT nextval('scoped_read_probe')`.execute(tx);
    });
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

  it('lets 401 win over the work\'s own error when the work fails before it sends a statement', async () => {
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

  // On a server every statement of a scoped read carries the check; the embedded engine's single
  // connection runs the whole read as one transaction, which nothing else can interleave with.
  it.runIf(serverUrl)('answers 401 when the session ends between two statements of the same read (postgres)', async () => {
    const company = await registerCompany(t);
    const read = guard().scoped(requestWith(company.client.cookie!), async (tx) => {
      await sql`SELECT 1`.execute(tx);
      await t.db.asOwner("UPDATE sessions SET ended_at = now(), ended_reason = 'revoked' WHERE user_id = $1", [company.userId]);
      return (await sql`SELECT 2`.execute(tx)).rows;
    });
    await expect(read).rejects.toSatisfy(isStatus(401));
  });

  it('runs the work in the caller\'s tenant as pactum_app', async () => {
    const company = await registerCompany(t);
    const context = await guard().scoped(requestWith(company.client.cookie!), async (tx) =>
      (await sql<{ role: string; tenant: string }>`SELECT current_user AS role, current_setting('pactum.tenant_id') AS tenant`.execute(tx)).rows[0],
    );
    expect(context).toEqual({ role: 'pactum_app', tenant: company.tenantId });
  });
});
