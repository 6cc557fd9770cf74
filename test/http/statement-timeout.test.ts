import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/**
 * A statement cancelled by statement_timeout (SQLSTATE 57014 query_canceled) met a busy database: the
 * answer is 503 overloaded with Retry-After, never 500 internal_error. PostgreSQL enforces a tiny
 * statement_timeout for real; PGlite (single-threaded WebAssembly) does not enforce statement_timeout at
 * all, so there the same SQLSTATE is raised by the database itself and travels the same path.
 */
describe(`a statement cancelled by its timeout answers 503 overloaded (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, (app) => {
      app.get('/test/slow-statement', async () =>
        t.db.database.kysely.transaction().execute(async (tx) => {
          if (engineName === 'postgres') {
            await sql`SET LOCAL statement_timeout = '20ms'`.execute(tx);
            await sql`SELECT pg_sleep(2)`.execute(tx);
          } else {
            await sql`DO $$ BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled'; END $$`.execute(
              tx,
            );
          }
          return { finished: true };
        }),
      );
    });
  });
  afterAll(() => t.close());

  it('answers 503 overloaded with Retry-After, and says nothing about the statement', async () => {
    const started = Date.now();
    const response = await t.app.inject({ method: 'GET', url: '/test/slow-statement' });
    expect(Date.now() - started).toBeLessThan(1900);
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 503, code: 'overloaded' });
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).not.toMatch(/pg_sleep|statement|57014/);
  });
});
