import type { FastifyInstance, RouteOptions } from 'fastify';
import { isApiRoute } from './openapi.js';

/** The largest page any list answers (API.md: `limit` up to 500). */
export const MAX_PAGE_SIZE = 500;

/**
 * Lists whose size is capped by construction rather than by `limit`, each with its cap and why it holds.
 * Keyed "GET path" for a route's whole answer, "GET path#field" for an array field of its answer. Adding an
 * entry is a review decision: the cap must be one the schema or the service guarantees, not a hope.
 */
export const BOUNDED_BY_CONSTRUCTION: Record<string, string> = {
  'GET /api/v1/documents/:id': 'one document’s bytes, not a list: an upload is at most 25 MB (UPLOAD_LIMITS)',
  'GET /api/v1/export.xlsx':
    'a workbook file, not a JSON list: streamed page by page (EXPORT_PAGE_SIZE rows held at a time), one per user and two per node at once, cut off after EXPORT_TIME_LIMIT_MS',
  'GET /api/v1/contracts/:id#lineItems': `a contract’s line items: at most MAX_LINE_ITEMS, the create/patch body's maxItems`,
  'GET /api/v1/contracts/:id#groupIds': 'the contract’s access groups: at most 50, the create/patch body’s maxItems',
  'GET /api/v1/vendors/:id#aliases': 'the vendor’s aliases: at most 50, the create/patch body’s maxItems',
  'GET /api/v1/vendors/:id/contract-totals#totalsByCurrency':
    'one total per currency: a currency is 3 letters A–Z (the body pattern), so at most 17,576, in practice a handful',
  'GET /api/v1/contract-totals#items':
    'one total per currency: a currency is 3 letters A–Z (the body pattern), so at most 17,576, in practice a handful',
  'GET /api/v1/me#groups':
    'the caller’s own access groups: one tenant’s groups, reviewed as tenant-sized (a master adding themselves to thousands of groups harms only their own company, whose requests the tenant gate bounds)',
  'GET /api/v1/groups/:id#memberIds': 'one group’s member ids: at most the tenant’s users, reviewed as tenant-sized like GET /me#groups',
};

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  maxItems?: number;
  maximum?: number;
}

interface RouteShape {
  method: string | string[];
  url: string;
  schema?: { querystring?: unknown; response?: unknown };
}

/**
 * The lists a GET route answers with that nothing bounds: its answer itself when that is an array, and
 * every array field of an object answer (the `items` of the list envelope, a detail's id lists …). A list
 * is bounded by a `limit` query parameter whose maximum is at most MAX_PAGE_SIZE (with a `cursor` to go
 * on, for the envelope), by a response schema `maxItems` the service keeps, or by an entry above. A GET
 * route without a 200 response schema cannot be checked, so it must have an entry too.
 */
export function unboundedLists(route: RouteShape): string[] {
  const key = `GET ${route.url}`;
  if (BOUNDED_BY_CONSTRUCTION[key]) return [];
  const response = okSchema(route.schema?.response);
  if (!response) return [`${key} (no 200 response schema to check)`];
  const query = (route.schema?.querystring ?? {}) as JsonSchema;
  const limit = query.properties?.limit;
  const paged = limit?.maximum !== undefined && limit.maximum <= MAX_PAGE_SIZE;
  const canGoOn = query.properties?.cursor !== undefined;
  const unbounded: string[] = [];
  if (isArray(response)) {
    if (!paged && !capped(response)) unbounded.push(key);
    return unbounded;
  }
  for (const [name, field] of Object.entries(response.properties ?? {})) {
    if (!isArray(field) || capped(field) || BOUNDED_BY_CONSTRUCTION[`${key}#${name}`]) continue;
    const envelopeItems = name === 'items' && response.properties?.nextCursor !== undefined;
    if (envelopeItems && paged && canGoOn) continue;
    unbounded.push(`${key}#${name}`);
  }
  return unbounded;
}

/** Refuses, as the route is registered, a GET route that would answer with an unbounded list. */
export function refuseUnboundedLists(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Outside /api only /healthz and /readyz, fixed-shape objects (and later the web app's files).
    // Not /api/docs either: the API reference's HTML page and its script, style and image files answer no lists.
    if (!methods.includes('GET') || !isApiRoute(route.url)) return;
    const unbounded = unboundedLists(route);
    if (unbounded.length > 0) {
      throw new Error(
        `Unbounded list in ${unbounded.join(', ')}: take limit (maximum ${MAX_PAGE_SIZE}) and cursor, give the array a maxItems the service keeps, or add a reviewed entry to BOUNDED_BY_CONSTRUCTION (src/http/list-bounds.ts).`,
      );
    }
  });
}

function okSchema(response: unknown): JsonSchema | undefined {
  if (!response || typeof response !== 'object') return undefined;
  const byStatus = response as Record<string, JsonSchema>;
  return byStatus['200'] ?? byStatus['2xx'];
}

const isArray = (schema: JsonSchema) => schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'));
const capped = (schema: JsonSchema) => schema.maxItems !== undefined && schema.maxItems <= MAX_PAGE_SIZE;
