import { expect } from 'vitest';
import type { Client } from '../helpers/test-app.js';

/**
 * Vault data for the holdings, price-history, deadline and reminder tests, created through the public
 * routes (vendors, products, contracts) so the rows are what real use produces.
 */

export async function createVendor(client: Client, name: string): Promise<string> {
  const response = await client.post('/api/v1/vendors', { name });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

export async function createProduct(
  client: Client,
  vendorId: string,
  name: string,
  options: { blockSize?: number; sku?: string; metric?: string } = {},
): Promise<string> {
  const response = await client.post('/api/v1/products', {
    vendorId,
    name,
    metric: options.metric ?? 'user',
    blockSize: options.blockSize ?? 1,
    sku: options.sku ?? null,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

export interface ContractSpec {
  vendorId: string;
  title: string;
  kind?: 'contract' | 'proposal';
  status?: string;
  signedOn?: string | null;
  startsOn?: string;
  endsOn?: string | null;
  noticePeriodDays?: number | null;
  autoRenew?: boolean;
  renewalTermMonths?: number | null;
  currency?: string;
  managerId?: string;
  groupIds?: string[];
  lineItems?: Array<{ productId: string; quantity: number; listUnitPrice?: string; netUnitPrice?: string }>;
}

/** Creates a contract (or proposal) and returns its id; defaults: active contract from 2020-01-01, EUR, no items. */
export async function createContract(client: Client, spec: ContractSpec): Promise<string> {
  const { lineItems = [], startsOn = '2020-01-01', currency = 'EUR', ...rest } = spec;
  const response = await client.post('/api/v1/contracts', {
    ...rest,
    startsOn,
    currency,
    lineItems: lineItems.map((item) => ({ listUnitPrice: item.netUnitPrice ?? '100.00', ...item })),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

export async function archiveContract(client: Client, id: string): Promise<void> {
  const response = await client.request({ method: 'DELETE', url: `/api/v1/contracts/${id}` });
  expect(response.statusCode, response.body).toBe(204);
}
