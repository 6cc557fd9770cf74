import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenant } from '../../src/db/tenant-context.js';
import { createSessionCookies, createSessionGuard } from '../../src/identity/sessions.js';
import { ProblemError } from '../../src/http/problem.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { serverUrl } from '../helpers/test-database.js';

describe(`a request in flight when its session is revoked (${serverUrl ? 'postgres' : 'embedded'})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const guardFor = () => createSessionGuard(t.db.database.kysely, createSessionCookies(new URL(t.config.publicUrl)));
  const requestWith = (token: string, method: string) => ({ method, cookies: { pactum_session: token } }) as never;

  // Embedded PGlite is one connection: the driver runs a revocation issued meanwhile after the write's
  // transaction, never inside it, so the write lands first and the session is dead for the next request.
  it.runIf(!serverUrl)('runs a revocation issued during a write after that write (embedded)', async () => {
    const company = await registerCompany(t);
    let revocation: Promise<unknown> | undefined;
    const outcome = await guardFor()(requestWith(company.client.cookie!, 'POST'), async (tx) => {
      await tx.insertInto('vendors').values({ name: 'Written before the revocation', website: null, notes: null, aliases: [] }).execute();
      revocation = inTenant(t.db.database.kysely, { tenantId: company.tenantId, userId: null }, (other) =>
        other
          .updateTable('sessions')
          .set({ ended_at: sql`now()`, ended_reason: 'revoked' })
          .where('user_id', '=', company.userId)
          .execute(),
      );
      return 'done';
    });
    expect(outcome).toBe('done');
    await revocation;
    expect(await t.db.asOwner('SELECT 1 FROM vendors WHERE name = $1', ['Written before the revocation'])).toHaveLength(1);
    expect((await company.client.get('/api/v1/me')).statusCode).toBe(401);
  });

  // On a server the revocation can commit on another connection while the write is in flight.

  it.runIf(serverUrl)('fails a write whose session ends mid-request, and rolls its write back (postgres)', async () => {
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
