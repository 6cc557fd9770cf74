import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/engine.js';
import { DatabaseUnavailableError } from '../../src/db/errors.js';
import { inTenant } from '../../src/db/tenant-context.js';
import { buildApp } from '../../src/http/app.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { serverUrl } from '../helpers/test-database.js';

/**
 * No database event may crash the process (a checked-out client without an `error` listener did, on 57P01),
 * and a request the database fails answers a retryable 503 with Retry-After, never a 500.
 */
describe.runIf(serverUrl)('losing the database connection (postgres)', { timeout: 60_000 }, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const terminateAppBackends = (condition: string) =>
    t.db.asOwner(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'pactum_app' AND ${condition}`,
    );
  const backendPid = () => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`;

  it('a backend ended while its transaction waits between statements fails that transaction, not the process; the next gets a fresh connection', async () => {
    const company = await registerCompany(t);
    const context = { tenantId: company.tenantId, userId: null };
    let killedPid = 0;
    const attempt = inTenant(t.db.database.kysely, context, async (tx) => {
      killedPid = (await backendPid().execute(tx)).rows[0]!.pid;
      await t.db.asOwner('SELECT pg_terminate_backend($1)', [killedPid]);
      // The server's FATAL arrives while no statement is running: only an `error` listener hears it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sql`SELECT 1`.execute(tx);
    });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    const next = await inTenant(t.db.database.kysely, context, async (tx) => (await backendPid().execute(tx)).rows[0]!.pid);
    expect(next).not.toBe(killedPid);
  });

  it('a request whose connection dies answers 503 service_unavailable with Retry-After, and the next request is served', async () => {
    const company = await registerCompany(t);
    // Hold the list's table so the request's statement waits on the server, then end the waiting backend.
    const blocked = await t.db.owner.connection().execute(async (owner) => {
      await sql`BEGIN`.execute(owner);
      await sql`LOCK TABLE contracts IN ACCESS EXCLUSIVE MODE`.execute(owner);
      const response = company.client.get('/api/v1/contracts');
      for (let tries = 0; tries < 100; tries += 1) {
        const waiting = await terminateAppBackends("wait_event_type = 'Lock'");
        if (waiting.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await sql`ROLLBACK`.execute(owner);
      return response;
    });
    expect(blocked.statusCode).toBe(503);
    expect(blocked.headers['retry-after']).toBe('5');
    expect(blocked.json()).toMatchObject({ code: 'service_unavailable' });
    const after = await company.client.get('/api/v1/contracts');
    expect(after.statusCode).toBe(200);
  });

  it('an unreachable database answers 503 service_unavailable, and a pool with no free connection 503 overloaded', async () => {
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    // A port nobody listens on: the connection attempt is refused at once.
    const unreachable = await openPostgres('postgres://pactum_app@127.0.0.1:9/pactum', 1);
    const app = await buildApp({ config: t.config, database: unreachable, logStream: quiet });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/v1/contracts', cookies: { pactum_session: 'x'.repeat(43) } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ code: 'service_unavailable' });
    } finally {
      await app.close();
      await unreachable.close();
    }

    const company = await registerCompany(t);
    const single = await openPostgres(t.db.appUrl!, 1);
    const busy = await buildApp({ config: t.config, database: single, logStream: quiet });
    try {
      // The pool's only connection is held; the request waits for the pool's connect timeout (5 s).
      const answer = await single.kysely.transaction().execute(async (tx) => {
        await sql`SELECT 1`.execute(tx);
        return busy.inject({ method: 'GET', url: '/api/v1/contracts', cookies: { pactum_session: company.client.cookie! } });
      });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(answer.json()).toMatchObject({ code: 'overloaded' });
    } finally {
      await busy.close();
      await single.close();
    }
  });
});
