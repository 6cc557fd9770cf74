import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { problemBody, problemStatuses, problemTitles, type ProblemCode } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The problem codes this route answers beyond those that follow from its shape (see `shapeProblems`:
     * validation, sessions, origin, :id lookups, bodies, limits, load and failures). Declare every
     * route-specific code a request to it can end with — `config: { problems: ['email_taken'] }` — and the
     * OpenAPI document lists it under its status; in tests, answering an undeclared code fails the request.
     */
    problems?: readonly ProblemCode[];
    /** A multipart upload the handler reads itself (no body schema to document): its one file field. */
    upload?: { field: string; description: string };
  }
}

/** Where the document is served; public, and itself described in the document. */
export const OPENAPI_PATH = '/api/v1/openapi.json';
/** The human-readable reference (src/http/api-docs.ts): an HTML page and its assets, not API answers. */
export const API_DOCS_PREFIX = '/api/docs';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Feature tags, in the order the reference shows them. */
export const OPENAPI_TAGS = [
  { name: 'Identity', description: 'Signup, sign-in with a phone code, step-up, passwords and the current user.' },
  { name: 'Team', description: 'Users and their roles, invitations, revocation with hand-over, and sessions.' },
  { name: 'Access groups', description: 'Groups that restrict who sees a contract.' },
  { name: 'Vendors', description: 'Vendors and their licence metric definitions.' },
  { name: 'Products', description: 'Products per vendor, with their licence metric and block size.' },
  { name: 'Contracts', description: 'Contracts and proposals with their line items.' },
  { name: 'Documents', description: 'Signed documents attached to contracts.' },
  { name: 'Licences', description: 'Consolidated holdings, price history and deadlines.' },
  { name: 'Audit', description: 'The company’s audit trail.' },
  { name: 'Dashboard', description: 'What needs a decision: counts, spend per vendor, deadlines, pending proposals.' },
  { name: 'Your data', description: 'The XLSX export of everything the caller may see, and imports in its layout.' },
  { name: 'Demo', description: 'Demo data for a company that has none yet.' },
  { name: 'Billing', description: 'Stripe hosted checkout, customer portal and signed webhooks.' },
  { name: 'Operations', description: 'This description of the API.' },
] as const;

export type OpenApiTag = (typeof OPENAPI_TAGS)[number]['name'];

/**
 * Both names the session cookie goes by (src/identity/sessions.ts): the document is the same for every
 * deployment, so it names both and a client sends whichever its server set.
 */
const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-pactum_session',
    description:
      'The session cookie set by verifying a sign-in code, when the public URL is https. State-changing requests must also send an Origin header equal to the public URL’s origin (403 origin_mismatch).',
  },
  localSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'pactum_session',
    description: 'The same session cookie when the public URL is plain http (trying Pactum out on one machine).',
  },
} as const;
const SESSION_REQUIRED: Array<Record<string, string[]>> = [{ session: [] }, { localSession: [] }];

/** RFC 9457 problem details as every error leaves (src/http/problem.ts); some codes add fields of their own. */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Identifies the problem kind; one per code.' },
    title: { type: 'string', description: 'A fixed title per code.' },
    status: { type: 'integer', description: 'The HTTP status.' },
    code: {
      type: 'string',
      enum: Object.keys(problemTitles),
      description: 'A stable snake_case key clients branch on. Each operation lists the codes it can answer.',
    },
    detail: { type: 'string', description: 'What happened this time, for people.' },
    errors: {
      type: 'array',
      description: 'Field errors of a validation_failed answer; `path` is the request part and a JSON Pointer.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  // handover_required adds `contracts` and `hiddenContractCount`, proposal_decided `fields`, rate_limited `retryAfter`.
  additionalProperties: true,
};

interface RouteShape {
  url: string;
  config?: { public?: boolean; rateLimit?: unknown; loadShedding?: unknown; problems?: readonly ProblemCode[] } | undefined;
  schema?: { body?: unknown; querystring?: unknown; params?: unknown; hide?: boolean } | undefined;
}

/**
 * The codes any request to a route of this shape may end with, whatever its handler does: failures and
 * load (every route), the rate limiter unless the route opts out, the authentication gate for session
 * routes, the origin check and body parsing for state-changing methods, validation when anything is
 * validated, and not_found when the path names something.
 */
export function shapeProblems(method: string, route: RouteShape): Set<ProblemCode> {
  const codes = new Set<ProblemCode>(['internal_error', 'service_unavailable']);
  const config = route.config ?? {};
  if (config.loadShedding !== false) codes.add('overloaded');
  if (config.rateLimit !== false) codes.add('rate_limited');
  if (config.public !== true) codes.add('unauthenticated');
  if (STATE_CHANGING.has(method)) {
    for (const code of ['origin_mismatch', 'malformed_body', 'payload_too_large', 'unsupported_media_type'] as const) codes.add(code);
    // A company whose subscription lapsed is read-only (src/billing/access-gate.ts): its writes are refused.
    if (config.public !== true) codes.add('subscription_inactive');
  }
  if (route.schema?.body || route.schema?.querystring || route.schema?.params) codes.add('validation_failed');
  if (route.url.includes(':')) codes.add('not_found');
  return codes;
}

/** Every code a route documents: its shape's and its own declaration's. */
export function documentedProblems(method: string, route: RouteShape): Set<ProblemCode> {
  const codes = shapeProblems(method, route);
  for (const code of route.config?.problems ?? []) codes.add(code);
  return codes;
}

/** The API: not the probes, not the reference's own page and assets. */
export function isApiRoute(url: string): boolean {
  return url.startsWith('/api/') && url !== API_DOCS_PREFIX && !url.startsWith(`${API_DOCS_PREFIX}/`);
}

/** What the document describes: the API routes, less any a route hides itself (`schema.hide`). */
export function isDescribed(route: RouteShape): boolean {
  return isApiRoute(route.url) && route.schema?.hide !== true;
}

const X_PROBLEMS = 'x-pactum-problems';
const X_UPLOAD = 'x-pactum-upload';

/** Per route: hides what is not the API, marks who may call it, and carries its codes to `addProblemResponses`. */
function describeRoute({ schema, url, route }: { schema: RouteOptions['schema']; url: string; route: RouteOptions }) {
  const shape = { url: route.url, config: route.config, schema: schema ?? undefined };
  if (!isDescribed(shape)) return { schema: { ...schema, hide: true }, url };
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  return {
    schema: {
      ...schema,
      security: route.config?.public === true ? [] : SESSION_REQUIRED,
      [X_PROBLEMS]: [...documentedProblems(method, shape)],
      ...(route.config?.upload ? { [X_UPLOAD]: route.config.upload } : {}),
    },
    url,
  };
}

type Operation = Record<string, unknown> & { responses?: Record<string, unknown> };

/** One response per error status, `application/problem+json`, naming the codes that status carries here. */
function problemResponses(codes: ProblemCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(problemStatuses[code], [...(byStatus.get(problemStatuses[code]) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const sorted = [...statusCodes].sort();
    responses[String(status)] = {
      description: `Problem: ${sorted.map((code) => `\`${code}\``).join(', ')}.`,
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } } }
        : {}),
      content: {
        'application/problem+json': {
          schema: {
            allOf: [{ $ref: '#/components/schemas/Problem' }],
            properties: { status: { const: status }, code: { type: 'string', enum: sorted } },
          },
        },
      },
    };
  }
  return responses;
}

const SUCCESS = { '200': 'OK.', '201': 'Created.', '202': 'Accepted.', '204': 'Done; no content.' } as Record<string, string>;

/** Names a success response the plugin left as "Default Response" (a schema without a description). */
function describeSuccess(responses: Record<string, unknown>) {
  const described: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(responses)) {
    const { description, ...rest } = response as { description?: string };
    described[status] = { description: description === 'Default Response' ? (SUCCESS[status] ?? 'OK.') : description, ...rest };
  }
  return described;
}

function multipartBody({ field, description }: { field: string; description: string }) {
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: { type: 'object', required: [field], properties: { [field]: { type: 'string', format: 'binary', description } } },
      },
    },
  };
}

/** Turns the codes each operation carries into its problem responses and adds what every document shares. */
function addProblemResponses({ openapiObject }: { openapiObject: Record<string, unknown> }) {
  const document = openapiObject as {
    components: { schemas?: Record<string, unknown> };
    servers?: unknown;
    paths: Record<string, Record<string, Operation>>;
  };
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      const codes = operation[X_PROBLEMS] as ProblemCode[] | undefined;
      if (!codes) continue;
      delete operation[X_PROBLEMS];
      const upload = operation[X_UPLOAD] as { field: string; description: string } | undefined;
      delete operation[X_UPLOAD];
      if (upload) operation.requestBody = multipartBody(upload);
      operation.responses = { ...describeSuccess(operation.responses ?? {}), ...problemResponses(codes) };
    }
  }
  document.components.schemas = { ...document.components.schemas, Problem: PROBLEM_SCHEMA };
  // The spec's own default, said out loud: the API is at the origin that served this document. No host.
  document.servers = [{ url: '/', description: 'The origin that serves this document.' }];
  return document;
}

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

/**
 * Collects the routes registered after it into an OpenAPI 3.1 document (src/http/openapi-routes.ts serves
 * it). Nothing deployment-specific goes in: no host, no configuration, both cookie names.
 */
export async function registerOpenApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Pactum',
        version: packageVersion(),
        description:
          'Software-licence contract vault. JSON bodies; every error is `application/problem+json` with a stable `code` (each operation lists its codes). Lists take `limit` (at most 500) and `cursor` and answer `{ items, nextCursor }`.',
      },
      tags: [...OPENAPI_TAGS],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: describeRoute,
    transformObject: addProblemResponses as never,
  });
}

/**
 * Makes the documentation honest where tests can see it: a problem a route answers that its documentation
 * does not list — a code not declared, or a code with a status other than its own — becomes a 500
 * internal_error and an error log naming the route and the code, so the test that provoked it fails.
 */
export function enforceDocumentedProblems(app: FastifyInstance) {
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions;
    if (route.url === undefined || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')) return payload;
    if (!isApiRoute(route.url)) return payload;
    const shape = { url: route.url, config: route.config, schema: route.schema };
    const { code } = JSON.parse(payload) as { code: ProblemCode };
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (documentedProblems(method, shape).has(code) && problemStatuses[code] === reply.statusCode) return payload;
    const answered = `${method} ${route.url} answered ${reply.statusCode} ${code}`;
    request.log.error(
      { route: `${method} ${route.url}`, status: reply.statusCode, code },
      `undocumented problem: ${answered}; declare it (config.problems)`,
    );
    // The log may be captured where nobody reads it; a warning reaches the test run's output.
    process.emitWarning(`${answered}; declare the code in the route's config.problems`, 'UndocumentedProblem');
    reply.code(500);
    return JSON.stringify(problemBody(500, 'internal_error', `Undocumented problem: ${answered}.`));
  });
}
