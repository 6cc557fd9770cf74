import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DOCS_PREFIX } from '../../src/http/openapi.js';
import { ProblemError, problemBody, problemStatuses, problemTitles, type ProblemCode } from '../../src/http/problem.js';
import { runCommand } from '../helpers/run-command.js';
import { routeTable } from '../helpers/route-table.js';
import { startTestApp, TWILIO, type TestApp } from '../helpers/test-app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMMITTED = join(ROOT, 'web', 'src', 'api', 'openapi.json');
const DOCUMENTED_BILLING = {
  STRIPE_SECRET_KEY: 'sk_test_document',
  STRIPE_WEBHOOK_SECRET: 'whsec_document',
  STRIPE_PRICE_ID: 'price_document',
};

/** API.md "Problem codes", as fixed there. */
const API_MD_CODES = [
  'validation_failed',
  'malformed_body',
  'not_found',
  'method_not_allowed',
  'unauthenticated',
  'forbidden',
  'origin_mismatch',
  'reauthentication_required',
  'rate_limited',
  'overloaded',
  'service_unavailable',
  'payload_too_large',
  'unsupported_media_type',
  'invalid_credentials',
  'invalid_code',
  'challenge_expired',
  'invalid_phone',
  'unsupported_country',
  'weak_password',
  'channel_unavailable',
  'delivery_failed',
  'invitation_expired',
  'token_expired',
  'email_taken',
  'name_taken',
  'vendor_in_use',
  'product_in_use',
  'group_in_use',
  'invalid_transition',
  'proposal_decided',
  'handover_required',
  'last_master',
  'document_integrity_failed',
  'import_invalid',
  'invalid_signature',
  'internal_error',
];

/** Answered before any route is matched (the not-found handler), so no operation can list it. */
const UNROUTED_CODES = ['method_not_allowed'];

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: ProblemSchema }> }>;
}
interface ProblemSchema {
  allOf?: Array<{ $ref?: string }>;
  properties?: { status?: { const?: number }; code?: { enum?: string[] } };
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: { Problem: { properties: { code: { enum: string[] } } } };
    securitySchemes: Record<string, { in: string; name: string }>;
  };
  servers?: unknown;
}

/** Every code listed by some operation's problem responses. */
function documentedCodes(document: OpenApiDocument): Set<string> {
  const codes = new Set<string>();
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses)) {
        for (const code of response.content?.['application/problem+json']?.schema?.properties?.code?.enum ?? []) codes.add(code);
      }
    }
  }
  return codes;
}

/** The codes written as a literal in `new ProblemError(status, 'code'` anywhere in src. */
function codesThrownInSource(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/new ProblemError\(\s*\d+,\s*'([a-z_]+)'/g)) codes.add(match[1]!);
      }
    }
  };
  walk(join(ROOT, 'src'));
  return codes;
}

/** Every string (and key, as base64 and hex) in the configuration long enough to be worth hiding. */
function configValues(value: unknown, out: string[] = []): string[] {
  if (Buffer.isBuffer(value)) out.push(value.toString('base64'), value.toString('hex'));
  else if (value instanceof URL) out.push(value.href, value.host);
  else if (typeof value === 'string' && value.length >= 8) out.push(value);
  else if (value && typeof value === 'object') for (const inner of Object.values(value)) configValues(inner, out);
  return out;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let text: string;

  beforeAll(async () => {
    // Billing on (placeholder keys, never called), so its routes are described as a Stripe deployment serves them.
    t = await startTestApp(DOCUMENTED_BILLING, (app) => {
      // Routes of this test only, hidden from the document: one declares the code it answers, two do not.
      const hide = { hide: true };
      app.post('/api/v1/test-only/declared', { config: { public: true, problems: ['handover_required'] }, schema: hide }, async () => {
        throw new ProblemError(409, 'handover_required', 'Hand over first.', {
          contracts: [{ id: 'c1', title: 'T' }],
          hiddenContractCount: 2,
        });
      });
      app.post('/api/v1/test-only/undeclared', { config: { public: true }, schema: hide }, async () => {
        throw new ProblemError(409, 'vendor_in_use');
      });
      app.post('/api/v1/test-only/wrong-status', { config: { public: true, problems: ['vendor_in_use'] }, schema: hide }, async () => {
        throw new ProblemError(400, 'vendor_in_use');
      });
    });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    text = response.body;
    document = JSON.parse(text) as OpenApiDocument;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is OpenAPI 3.1 for Pactum at the package version, public, and names no host', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Pactum', version });
    expect(document.servers).toEqual([{ url: '/', description: 'The origin that serves this document.' }]);
    expect(Object.values(document.components.securitySchemes).map((scheme) => [scheme.in, scheme.name])).toEqual([
      ['cookie', '__Host-pactum_session'],
      ['cookie', 'pactum_session'],
    ]);
  });

  it('describes every /api route with its method, summary, operationId, tag, a success and its problems', () => {
    const apiRoutes = routeTable(t.app).filter(
      ({ path }) => path.startsWith('/api/') && !path.startsWith(API_DOCS_PREFIX) && !path.startsWith('/api/v1/test-only/'),
    );
    expect(apiRoutes.length).toBeGreaterThan(40);
    const operationIds = new Set<string>();
    for (const { method, path } of apiRoutes) {
      const openApiPath = path.replace(/:(\w+)/g, '{$1}');
      const operation = document.paths[openApiPath]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.summary, `${method} ${path}`).toMatch(/\S/);
      expect(operation!.tags, `${method} ${path}`).toHaveLength(1);
      expect(operationIds.has(operation!.operationId!), `${method} ${path} operationId`).toBe(false);
      operationIds.add(operation!.operationId!);
      const statuses = Object.keys(operation!.responses);
      // One success, or two where the route says which happened (an import's dry run 200, applied 201).
      expect(statuses.filter((status) => /^2\d\d$/.test(status)).length, `${method} ${path}`).toBeGreaterThanOrEqual(1);
      const problems = statuses.filter((status) => Number(status) >= 400);
      expect(problems, `${method} ${path}`).toContain('500');
      for (const status of problems) {
        const schema = operation!.responses[status]!.content?.['application/problem+json']?.schema;
        expect(schema?.allOf?.[0]?.$ref, `${method} ${path} ${status}`).toBe('#/components/schemas/Problem');
        expect(schema?.properties?.status?.const).toBe(Number(status));
        const codes = schema?.properties?.code?.enum ?? [];
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(problemStatuses[code as ProblemCode], `${code} under ${status}`).toBe(Number(status));
      }
      // Session routes say so, and answer 401 unauthenticated without one; the doors in are public.
      const codes401 = operation!.responses['401']?.content?.['application/problem+json']?.schema?.properties?.code?.enum ?? [];
      expect(codes401.includes('unauthenticated'), `${method} ${path}`).toBe((operation!.security ?? []).length > 0);
    }
    // And nothing else: the probes, the reference's page and the test-only routes are not described.
    const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m} ${path}`));
    expect(described).toHaveLength(apiRoutes.length);
  });

  it('lists every code of API.md the code base produces, and every code thrown in src', () => {
    const documented = documentedCodes(document);
    const known = new Set(Object.keys(problemTitles));
    const produced = API_MD_CODES.filter((code) => known.has(code));
    // Every code API.md lists is one the code base can answer.
    expect(API_MD_CODES.filter((code) => !known.has(code))).toEqual([]);
    for (const code of produced) {
      if (UNROUTED_CODES.includes(code)) expect(document.components.schemas.Problem.properties.code.enum).toContain(code);
      else expect(documented.has(code), code).toBe(true);
    }
    const thrown = codesThrownInSource();
    expect(thrown.size).toBeGreaterThan(20);
    for (const code of thrown) {
      if (UNROUTED_CODES.includes(code)) continue;
      expect(documented.has(code), `new ProblemError(…, '${code}') in src is not documented by any route`).toBe(true);
    }
  });

  it('contains no secret and nothing of this deployment’s configuration', () => {
    const values = configValues(t.config);
    expect(values).toContain(TWILIO.authToken);
    for (const value of values) expect(text.includes(value), `configuration value ${value.slice(0, 4)}… in the document`).toBe(false);
    expect(text).not.toContain('localhost');
  });

  it('is what web/src/api/openapi.json holds (run `npm run openapi:write` after changing a route)', () => {
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(document);
  });

  it('answers a declared problem exactly as thrown, extra fields included', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/test-only/declared' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toEqual(
      problemBody(409, 'handover_required', 'Hand over first.', { contracts: [{ id: 'c1', title: 'T' }], hiddenContractCount: 2 }),
    );
  });

  it('turns an undeclared code, or a code with another status, into a 500 and an error naming route and code', async () => {
    for (const [url, status] of [
      ['/api/v1/test-only/undeclared', 409],
      ['/api/v1/test-only/wrong-status', 400],
    ] as const) {
      const response = await t.app.inject({ method: 'POST', url });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ code: 'internal_error', status: 500 });
      const logged = t.logs.find((line) => line.includes('undocumented problem') && line.includes(url));
      expect(logged, url).toBeDefined();
      expect(JSON.parse(logged!)).toMatchObject({ level: 50, route: `POST ${url}`, status, code: 'vendor_in_use' });
    }
  });

  it('serves the human-readable reference at /api/docs without a session, under the app’s own CSP', async () => {
    const page = await t.app.inject({ method: 'GET', url: `${API_DOCS_PREFIX}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(page.headers['content-security-policy']).toBe(api.headers['content-security-policy']);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    // No inline script or style for the CSP to refuse: every script has a src, no <style>, no style="".
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|\sstyle=/);
    const initializer = await t.app.inject({ method: 'GET', url: `${API_DOCS_PREFIX}/static/swagger-initializer.js` });
    expect(initializer.statusCode).toBe(200);
    const json = await t.app.inject({ method: 'GET', url: `${API_DOCS_PREFIX}/json` });
    expect(json.json()).toEqual(document);
  });
});

describe('pactum openapi', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-openapi-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the document with no database to reach and touches no data directory', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|STRIPE_|VITEST)/.test(name)));
    const result = await runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', 'openapi'], {
      cwd: ROOT,
      // An unreachable server and production rules: neither matters to the document.
      env: { ...env, NODE_ENV: 'production', PACTUM_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PACTUM_DATA_DIR: dataDir },
      timeoutMs: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
    expect(readdirSync(dataDir)).toEqual([]);
  }, 150_000);
});
