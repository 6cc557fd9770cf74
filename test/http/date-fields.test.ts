import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateString, Timestamp } from '../../src/http/schema-types.js';
import { createContract, createProduct, createVendor, contractBody, patch } from '../contracts/helpers.js';
import { registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/**
 * Issue 9, finding 7: a date PostgreSQL cannot store ("0000-01-01") was a 500. Every date and timestamp
 * field is bounded by the shared schema types, and a data exception the schemas miss is a 400.
 */

/** Every date or timestamp field of a request schema, found by walking src/<feature>/schemas.ts. */
async function requestDateFields(): Promise<Map<string, string | undefined>> {
  const found = new Map<string, string | undefined>();
  const visit = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) return;
    const schema = node as { format?: string; pattern?: string; properties?: Record<string, unknown>; anyOf?: unknown[]; items?: unknown };
    if (schema.format === 'date' || schema.format === 'date-time') found.set(path, schema.pattern);
    for (const [name, child] of Object.entries(schema.properties ?? {})) visit(child, `${path}.${name}`);
    for (const child of schema.anyOf ?? []) visit(child, path);
    if (schema.items) visit(schema.items, `${path}[]`);
  };
  const features = readdirSync(new URL('../../src', import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  for (const feature of features) {
    const file = new URL(`../../src/${feature}/schemas.ts`, import.meta.url);
    let exported: Record<string, unknown>;
    try {
      exported = (await import(file.href)) as Record<string, unknown>;
    } catch {
      continue; // no schemas.ts in this folder
    }
    for (const [name, schema] of Object.entries(exported))
      if (/(Input|Patch|Query|Body|Params)$/.test(name)) visit(schema, `${feature}.${name}`);
  }
  return found;
}

/** The fields the properties below exercise, by route; a new date field anywhere must be added here. */
const CONTRACT_DATE_FIELDS = ['signedOn', 'startsOn', 'endsOn'] as const;
const AUDIT_TIMESTAMP_FIELDS = ['from', 'to'] as const;
const COVERED = new Set([
  ...CONTRACT_DATE_FIELDS.map((field) => `contracts.ContractInput.${field}`),
  ...CONTRACT_DATE_FIELDS.map((field) => `contracts.ContractPatch.${field}`),
  ...AUDIT_TIMESTAMP_FIELDS.map((field) => `audit.AuditEventQuery.${field}`),
]);

const pad = (value: number, width: number) => `${value < 0 ? '-' : ''}${String(Math.abs(value)).padStart(width, '0')}`;

const EDGE_DATES = [
  '0000-01-01',
  '0001-01-01',
  '1899-12-31',
  '1900-01-01',
  '9999-12-31',
  '10000-01-01',
  '+10000-01-01',
  '-0001-01-01',
  '294277-01-01',
  '5874898-01-01',
  '2023-02-29',
  '2024-02-29',
  '1900-02-29',
  '2000-02-29',
  '2024-04-31',
  '2024-13-01',
  '2024-00-10',
  '2024-1-1',
  ' 2024-01-01',
  '2024-01-01 ',
  '2024-01-01\n',
  '２０２４-01-01',
  'infinity',
  '-infinity',
  'epoch',
  'today',
  'now',
  'allballs',
  'J2451187',
  '1999-01-08 04:05:06',
  'January 8, 99 BC',
  '99-01-08',
  '20240101',
  '',
];
const dateLike = fc
  .tuple(
    fc.oneof(fc.integer({ min: -10, max: 12_000 }), fc.constantFrom(0, 1, 1899, 1900, 2000, 9999, 10_000, 99_999, 294_277)),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
  )
  .map(([year, month, day]) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);
/** Real calendar dates just inside and outside the bounds: most of them are stored. */
const nearTheBounds = fc.date({ min: new Date('1890-01-01T00:00:00Z'), max: new Date('+010010-01-01T00:00:00Z'), noInvalidDate: true });
const dateInput = fc.oneof(
  fc.constantFrom(...EDGE_DATES),
  dateLike,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
  nearTheBounds.map((date) => date.toISOString().slice(0, 10)),
);

const EDGE_TIMESTAMPS = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999-14:00',
  '1900-01-01T00:00:00+14:00',
  '2016-12-31T23:59:60Z',
  '294277-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '2024-01-01T00:00:00+15:59',
  '2024-01-01T00:00:00+16:00',
  '2024-01-01T00:00:00-23:59',
  '2024-01-01t00:00:00z',
  '2024-01-01 00:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T00:00Z',
  '2024-02-30T00:00:00Z',
  'infinity',
  'now',
  'epoch',
  '',
];
const timestampLike = fc
  .tuple(
    fc.oneof(dateLike, fc.constantFrom('2024-02-29', '1900-01-01', '9999-12-31')),
    fc.constantFrom('T', 't', ' '),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom('', '.5', '.123456', '.123456789', '.1234567890123'),
    fc.constantFrom('Z', 'z', '+00:00', '-00:00', '+14:00', '-14:00', '+14:01', '+15:59', '+16:00', '-23:59', '+24:00', '+0100', '+01', ''),
  )
  .map(
    ([date, separator, hour, minute, second, fraction, offset]) =>
      `${date}${separator}${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}${offset}`,
  );
const timestampInput = fc.oneof(
  fc.constantFrom(...EDGE_TIMESTAMPS),
  timestampLike,
  fc.string({ maxLength: 40 }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  nearTheBounds.map((date) => date.toISOString()),
);

const withinBounds = (value: string) => /^(19\d\d|[2-9]\d{3})-/.test(value);
const RUNS = 100;

describe(`date and timestamp fields (${engineName})`, () => {
  let t: TestApp;
  let master: Registered;
  let vendorId: string;
  let productId: string;
  let contractId: string;
  beforeAll(async () => {
    t = await startTestApp();
    master = await registerCompany(t);
    vendorId = await createVendor(master.client, 'Oracle');
    productId = await createProduct(master.client, vendorId, 'Database Enterprise Edition');
    contractId = (await createContract(master.client, contractBody(vendorId, productId))).id;
  });
  afterAll(() => t.close());

  it('bounds every date and timestamp field of every request schema with the shared types', async () => {
    const fields = await requestDateFields();
    expect(new Set(fields.keys())).toEqual(COVERED);
    for (const [field, pattern] of fields) expect([DateString.pattern, Timestamp.pattern], field).toContain(pattern);
  });

  it('answers the reported examples with 400 validation_failed', async () => {
    const created = await master.client.post('/api/v1/contracts', contractBody(vendorId, productId, { startsOn: '0000-01-01' }));
    expect(created.statusCode, created.body).toBe(400);
    expect(created.json().code).toBe('validation_failed');
    const audit = await master.client.get('/api/v1/audit-events?from=0000-01-01T00:00:00Z');
    expect(audit.statusCode, audit.body).toBe(400);
    expect(audit.json().code).toBe('validation_failed');
  });

  it('answers a data exception the schemas cannot see (a forged cursor) with 400 validation_failed', async () => {
    const cursor = Buffer.from(JSON.stringify(['0000-01-01T00:00:00Z', randomUUID()])).toString('base64url');
    const response = await master.client.get(`/api/v1/sessions?cursor=${cursor}`);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().code).toBe('validation_failed');
  });

  it('stores and reads back the extreme dates the schemas allow', async () => {
    const extreme = await createContract(
      master.client,
      contractBody(vendorId, productId, {
        signedOn: '1900-01-01',
        startsOn: '1900-01-01',
        endsOn: '9999-12-31',
        autoRenew: true,
        renewalTermMonths: 120,
        noticePeriodDays: 3650,
      }),
    );
    expect(extreme).toMatchObject({ signedOn: '1900-01-01', startsOn: '1900-01-01', endsOn: '9999-12-31' });
    const audit = await master.client.get(
      `/api/v1/audit-events?from=${encodeURIComponent('1900-01-01T00:00:00+14:00')}&to=${encodeURIComponent('9999-12-31T23:59:59.999999999-14:00')}`,
    );
    expect(audit.statusCode, audit.body).toBe(200);
  });

  it.each(CONTRACT_DATE_FIELDS)('never answers 500 for any %s on POST /api/v1/contracts, and stores only bounded dates', async (field) => {
    await fc.assert(
      fc.asyncProperty(dateInput, async (value) => {
        const response = await master.client.post(
          '/api/v1/contracts',
          contractBody(vendorId, productId, { startsOn: '2025-01-01', endsOn: null, [field]: value }),
        );
        expect([201, 400], `${JSON.stringify(value)} → ${response.body}`).toContain(response.statusCode);
        if (response.statusCode === 201) expect(withinBounds(value), JSON.stringify(value)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(CONTRACT_DATE_FIELDS)('never answers 500 for any %s on PATCH /api/v1/contracts/{id}', async (field) => {
    await fc.assert(
      fc.asyncProperty(dateInput, async (value) => {
        const response = await patch(master.client, `/api/v1/contracts/${contractId}`, { [field]: value });
        expect([200, 400], `${JSON.stringify(value)} → ${response.body}`).toContain(response.statusCode);
        if (response.statusCode === 200) expect(withinBounds(value), JSON.stringify(value)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(AUDIT_TIMESTAMP_FIELDS)('never answers 500 for any %s on GET /api/v1/audit-events', async (field) => {
    await fc.assert(
      fc.asyncProperty(timestampInput, async (value) => {
        const response = await master.client.get(`/api/v1/audit-events?${field}=${encodeURIComponent(value)}`);
        expect([200, 400], `${JSON.stringify(value)} → ${response.body}`).toContain(response.statusCode);
        if (response.statusCode === 200) expect(withinBounds(value), JSON.stringify(value)).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('reads every view of the dates stored above without a 500', async () => {
    for (const url of [
      '/api/v1/contracts?limit=500',
      `/api/v1/contracts/${contractId}`,
      '/api/v1/deadlines?withinDays=3650',
      `/api/v1/vendors/${vendorId}/contract-totals`,
      `/api/v1/products/${productId}/price-history`,
      '/api/v1/licenses',
    ]) {
      const response = await master.client.get(url);
      expect(response.statusCode, `${url} → ${response.body}`).toBe(200);
    }
  });
});
