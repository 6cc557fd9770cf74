import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionCookies, createSessionGuard } from '../../src/identity/sessions.js';
import { ProblemError } from '../../src/http/problem.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { serverUrl } from '../helpers/test-database.js';

/**
 * On a server, a revocation can commit while a request of the revoked session is in flight on another
 * connection. (Embedded PGlite is one connection: the driver runs the two transactions one after the
 * other, so the case cannot arise there.)
 */
describe.runIf(serverUrl)('a request in flight when its session is revoked (postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const guardFor = () => createSessionGuard(t.db.database.kysely, createSessionCookies(new URL(t.config.publicUrl)));
  const requestWith = (token: string, method: string) => ({ method, cookies: { pactum_session: token } }) as never;

  it('fails a write whose session ends mid-request, and rolls its write back', async () => {
    const company = await registerCompany(t);
    const outcome = guardFor()(requestWith(company.client.cookie!, 'POST'), async (tx) => {
      await tx.insertInto('vendors').values({ name: 'Written in flight', website: null, notes: null, aliases: [] }).execute();
      await t.db.asOwner("UPDATE sessions SET ended_at = now(), ended_reason = 'revoked' WHERE user_id = $1", [company.userId]);
      return 'done';
    });
    await expect(outcome).rejects.toSatisfy((error: unknown) => error instanceof ProblemError && error.status === 401);
    const vendors = await t.db.asOwner('SELECT 1 FROM vendors WHERE name = $1', ['Written in flight']);
    expect(vendors).toHaveLength(0);
  });
});
