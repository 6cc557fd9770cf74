import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDED_BY_CONSTRUCTION, refuseUnboundedLists } from '../../src/http/list-bounds.js';
import { ListQuery, listOf } from '../../src/http/schema-types.js';
import { routeTable } from '../helpers/route-table.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

const Row = Type.Object({ id: Type.String() });
const ok = async () => ({});

function guarded(): FastifyInstance {
  const app = Fastify();
  refuseUnboundedLists(app);
  return app;
}

describe('every list route is bounded (the route table is checked as it is built)', () => {
  it('refuses a GET route answering a bare array with no limit', () => {
    expect(() => guarded().get('/api/v1/everything', { schema: { response: { 200: Type.Array(Row) } }, handler: ok })).toThrow(
      /Unbounded list in GET \/api\/v1\/everything/,
    );
  });

  it('refuses the list envelope without limit, with a limit above 500, or without a cursor to go on', () => {
    const envelope = { 200: listOf(Row) };
    expect(() => guarded().get('/api/v1/a', { schema: { response: envelope }, handler: ok })).toThrow(/GET \/api\/v1\/a#items/);
    const tooLarge = Type.Object({ limit: Type.Integer({ maximum: 10_000 }), cursor: Type.String({ maxLength: 200 }) });
    expect(() => guarded().get('/api/v1/b', { schema: { querystring: tooLarge, response: envelope }, handler: ok })).toThrow(
      /GET \/api\/v1\/b#items/,
    );
    const noCursor = Type.Object({ limit: ListQuery.limit });
    expect(() => guarded().get('/api/v1/c', { schema: { querystring: noCursor, response: envelope }, handler: ok })).toThrow(
      /GET \/api\/v1\/c#items/,
    );
  });

  it('refuses an array field of a single answer, and a GET route whose answer it cannot see', () => {
    const detail = Type.Object({ id: Type.String(), memberIds: Type.Array(Type.String()) });
    expect(() => guarded().get('/api/v1/things/:id', { schema: { response: { 200: detail } }, handler: ok })).toThrow(/#memberIds/);
    expect(() => guarded().get('/api/v1/blob', { handler: ok })).toThrow(/no 200 response schema/);
  });

  it('accepts limit (≤ 500) with cursor, an array with maxItems ≤ 500, and routes that are not GET', async () => {
    const app = guarded();
    app.get('/api/v1/paged', { schema: { querystring: Type.Object(ListQuery), response: { 200: listOf(Row) } }, handler: ok });
    app.get('/api/v1/capped', { schema: { response: { 200: Type.Array(Row, { maxItems: 12 }) } }, handler: ok });
    app.get('/api/v1/limited', {
      schema: { querystring: Type.Object({ limit: ListQuery.limit }), response: { 200: Type.Array(Row) } },
      handler: ok,
    });
    app.post('/api/v1/things', { handler: ok });
    await app.ready();
    await app.close();
  });

  it('gives every reviewed exception a stated cap', () => {
    for (const [route, cap] of Object.entries(BOUNDED_BY_CONSTRUCTION)) {
      expect(route).toMatch(/^GET \/api\/v1\/\S+$/);
      expect(cap.length, route).toBeGreaterThan(30);
    }
  });
});

describe(`the app refuses to be built with an unbounded list route (${engineName})`, () => {
  let t: TestApp;
  let refused: unknown;
  // The app is built in the hook (building a database takes long on a busy machine); the extra route is
  // added to the real app after all of its own, as one more feature's would be.
  beforeAll(async () => {
    t = await startTestApp({}, (app) => {
      try {
        app.get('/api/v1/products/:id/every-line-item', { schema: { response: { 200: Type.Array(Row) } }, handler: ok });
      } catch (error) {
        refused = error;
      }
    });
  });
  afterAll(() => t.close());

  it('checks the routes of the real app, and would refuse one more that answers every row', () => {
    expect(String(refused)).toMatch(/Unbounded list in GET \/api\/v1\/products\/:id\/every-line-item/);
    // The app it did build has every list route of API.md, all of which passed the same check.
    const gets = routeTable(t.app)
      .filter((route) => route.method === 'GET' && route.path.startsWith('/api/'))
      .map((route) => route.path);
    for (const path of [
      '/api/v1/products/:id/price-history',
      '/api/v1/licenses',
      '/api/v1/deadlines',
      '/api/v1/audit-events',
      '/api/v1/sessions',
      '/api/v1/users',
      '/api/v1/contracts/:id/documents',
    ]) {
      expect(gets).toContain(path);
    }
    expect(gets).not.toContain('/api/v1/products/:id/every-line-item');
  });
});
