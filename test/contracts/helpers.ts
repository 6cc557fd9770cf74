import { expect } from 'vitest';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import type { Client, Registered, TestApp } from '../helpers/test-app.js';

export type { Member };

/** A second, active user of a company, signed in through the real login (see test/helpers/members.ts). */
export function addUser(t: TestApp, company: Registered, role: 'master' | 'member' = 'member'): Promise<Member> {
  return addMember(t, company, { role, name: `Test ${role}` });
}

/** An access group with the given members (group administration is another feature's route). */
export const addGroup = createGroup;

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
