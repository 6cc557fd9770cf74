import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as auditSchemas from '../../src/audit/schemas.js';
import * as contractSchemas from '../../src/contracts/schemas.js';
import * as deadlineSchemas from '../../src/deadlines/schemas.js';
import * as documentSchemas from '../../src/documents/schemas.js';
import * as groupSchemas from '../../src/groups/schemas.js';
import * as holdingSchemas from '../../src/holdings/schemas.js';
import * as sharedSchemas from '../../src/http/schema-types.js';
import { validatorCompiler } from '../../src/http/validation.js';
import * as identitySchemas from '../../src/identity/schemas.js';
import * as productSchemas from '../../src/products/schemas.js';
import * as tenancySchemas from '../../src/tenancy/schemas.js';
import * as vendorSchemas from '../../src/vendors/schemas.js';
import { Client, registerCompany, startTestApp, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/** Fields that are not text anyone reads: passwords take any character, link tokens that do not match are simply unknown. */
const NOT_TEXT = new Set(['password', 'currentPassword', 'newPassword', 'token']);
/** Fields that are multi-line by nature. */
const MULTI_LINE = new Set(['notes', 'terms', 'description', 'definition']);

const INPUT_SCHEMA = /(Body|Input|Patch|Query|Params|MetricDefinitions)$/;
const modules = {
  auditSchemas,
  contractSchemas,
  deadlineSchemas,
  documentSchemas,
  groupSchemas,
  holdingSchemas,
  sharedSchemas,
  identitySchemas,
  productSchemas,
  tenancySchemas,
  vendorSchemas,
};

/** Every string a request may carry, by path: properties, array items and union members, all the way down. */
function stringFields(schema: TSchema, path: string, name: string, found: { path: string; name: string; schema: TSchema }[] = []) {
  if (schema.type === 'string') found.push({ path, name, schema });
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>))
    stringFields(child, `${path}.${key}`, key, found);
  if (schema.items) stringFields(schema.items as TSchema, `${path}[]`, name, found);
  for (const member of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])] as TSchema[]) stringFields(member, path, name, found);
  return found;
}

const inputFields = Object.values(modules).flatMap((module) =>
  Object.entries(module)
    .filter(([exported, value]) => INPUT_SCHEMA.test(exported) && typeof value === 'object' && value !== null)
    .flatMap(([exported, value]) => stringFields(value as TSchema, exported, exported)),
);

describe('control characters in route schemas (issue 13, point 4)', () => {
  it('finds the text fields of every input schema', () => {
    const paths = inputFields.map((field) => field.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'SignupBody.companyName',
        'SignupBody.name',
        'InviteBody.name',
        'VendorInput.name',
        'VendorInput.aliases[]',
        'ProductInput.sku',
        'ContractInput.title',
        'ContractInput.reference',
        'GroupInput.name',
        'VendorListQuery.q',
        'ContractInput.lineItems[].terms',
      ]),
    );
    expect(inputFields.length).toBeGreaterThan(40);
  });

  it.each(inputFields.filter((field) => !NOT_TEXT.has(field.name) && !MULTI_LINE.has(field.name)).map((field) => [field.path, field]))(
    'single-line %s refuses line breaks and other control characters',
    (_path, field) => {
      const validate = validatorCompiler({ schema: field.schema, httpPart: 'body' });
      for (const value of ['Acme\r\nBcc: evil@example.com', 'Acme\n', 'Acme\u0000', 'Acme\u001b[31m', 'Acme\u0085', 'Acme\u2028more']) {
        expect(validate(value), JSON.stringify(value)).toBe(false);
      }
    },
  );

  it.each(inputFields.filter((field) => MULTI_LINE.has(field.name)).map((field) => [field.path, field]))(
    'multi-line %s keeps line breaks and tabs but refuses other control characters',
    (_path, field) => {
      const validate = validatorCompiler({ schema: field.schema, httpPart: 'body' });
      expect(validate('first line\r\n\tsecond line\nthird')).toBe(true);
      for (const value of ['bell\u0007', 'nul\u0000', 'escape\u001b[2J', 'delete\u007f', 'c1\u0085'])
        expect(validate(value), JSON.stringify(value)).toBe(false);
    },
  );
});

describe(`control characters over HTTP (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 400 validation_failed to a company name with CR/LF, and creates nothing', async () => {
    const email = uniqueEmail();
    const response = await new Client(t).post('/api/v1/signup', {
      companyName: 'Acme\r\n\r\nPlease pay invoice at https://evil.example',
      name: 'Wile Coyote',
      email,
      phone: uniqueMobile(),
      password: STRONG_PASSWORD,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path: 'body:/companyName' })] });
    const rows = await t.db.asOwner('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it('refuses control characters in names and titles but keeps line breaks in notes', async () => {
    const master = await registerCompany(t);
    const invite = await master.client.post('/api/v1/users', { name: 'Bob\nBcc: evil', email: uniqueEmail() });
    expect(invite.statusCode).toBe(400);
    expect(invite.json().code).toBe('validation_failed');
    const vendor = await master.client.post('/api/v1/vendors', { name: 'Initech\u0007' });
    expect(vendor.json().code).toBe('validation_failed');
    const withNotes = await master.client.post('/api/v1/vendors', { name: 'Initech', notes: 'line one\nline two' });
    expect(withNotes.statusCode, withNotes.body).toBe(201);
    const rename = await master.client.request({
      method: 'PATCH',
      url: `/api/v1/vendors/${withNotes.json().id}`,
      payload: { notes: 'escape\u001b[2J' },
    });
    expect(rename.json().code).toBe('validation_failed');
  });
});
