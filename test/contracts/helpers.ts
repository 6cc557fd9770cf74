import { expect } from 'vitest';
import { hashPassword } from '../../src/identity/password-hashing.js';
import { login, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type Client, type Registered, type TestApp } from '../helpers/test-app.js';

export interface Member {
  client: Client;
  userId: string;
  email: string;
}

/**
 * A second, active user of a company, signed in through the real login (password, then phone code).
 * Inserted as the owner because inviting users is another feature's route.
 */
export async function addUser(t: TestApp, company: Registered, role: 'master' | 'member' = 'member'): Promise<Member> {
  const email = uniqueEmail(role);
  const phone = uniqueMobile();
  const [user] = await t.db.asOwner<{ id: string }>(
    `INSERT INTO users (tenant_id, name, email, phone_e164, phone_country, password_hash, role, status, activated_at)
     VALUES ($1, $2, $3, $4, 'CH', $5, $6, 'active', now()) RETURNING id`,
    [company.tenantId, `Test ${role}`, email, phone, await hashPassword(STRONG_PASSWORD), role],
  );
  await t.db.asOwner('INSERT INTO account_emails (email, tenant_id, user_id) VALUES ($1, $2, $3)', [email, company.tenantId, user!.id]);
  const client = await login(t, { email, password: STRONG_PASSWORD, phone });
  return { client, userId: user!.id, email };
}

/** An access group with the given members (group administration is another feature's route). */
export async function addGroup(t: TestApp, tenantId: string, name: string, memberIds: string[]): Promise<string> {
  const [group] = await t.db.asOwner<{ id: string }>('INSERT INTO access_groups (tenant_id, name) VALUES ($1, $2) RETURNING id', [tenantId, name]);
  for (const userId of memberIds) {
    await t.db.asOwner('INSERT INTO access_group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)', [tenantId, group!.id, userId]);
  }
  return group!.id;
}

export async function createVendor(client: Client, name: string): Promise<string> {
  const response = await client.post('/api/v1/vendors', { name });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

export async function createProduct(client: Client, vendorId: string, name: string, blockSize = 1): Promise<string> {
  const response = await client.post('/api/v1/products', { vendorId, name, metric: 'user', blockSize });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

export function patch(client: Client, url: string, payload: unknown) {
  return client.request({ method: 'PATCH', url, payload: payload as object });
}

export function remove(client: Client, url: string) {
  return client.request({ method: 'DELETE', url });
}

export function contractBody(vendorId: string, productId: string, overrides: Record<string, unknown> = {}) {
  return {
    vendorId,
    title: 'Database licences 2025',
    startsOn: '2025-01-01',
    endsOn: '2025-12-31',
    currency: 'EUR',
    lineItems: [{ productId, quantity: 10, listUnitPrice: '100.00', discountPercent: '10' }],
    ...overrides,
  };
}

/** Creates a contract and returns its body, failing the test with the response on anything but 201. */
export async function createContract(client: Client, body: Record<string, unknown>) {
  const response = await client.post('/api/v1/contracts', body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** The distinct failing paths of a problem answer (a nullable field reports each branch of its union). */
export function paths(response: { json(): { errors?: Array<{ path: string }> } }): string[] {
  return [...new Set((response.json().errors ?? []).map((error) => error.path))];
}
