import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { expect } from 'vitest';
import type { Client } from '../helpers/test-app.js';
import { createProduct, createVendor } from '../contracts/helpers.js';

/** The export as bytes, failing the test on anything but 200. */
export async function downloadExport(client: Client): Promise<Buffer> {
  const response = await client.get('/api/v1/export.xlsx');
  expect(response.statusCode, response.body).toBe(200);
  return response.rawPayload;
}

/** Reads a workbook back with ExcelJS (in memory: test files are small). */
export async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.read(Readable.from(bytes));
  return workbook;
}

/** A sheet's data rows as arrays of cell values (header row excluded). */
export function sheetRows(workbook: ExcelJS.Workbook, name: string): unknown[][] {
  const sheet = workbook.getWorksheet(name);
  expect(sheet, `sheet ${name}`).toBeDefined();
  const rows: unknown[][] = [];
  sheet!.eachRow((row, number) => {
    if (number > 1) rows.push((row.values as unknown[]).slice(1));
  });
  return rows;
}

/** A small vault: one vendor with a metric definition, one product, one contract, one pending proposal. */
export async function seedVault(client: Client, titles: { contract?: string; proposal?: string } = {}) {
  const vendorId = await createVendor(client, 'Oracle');
  const put = await client.request({
    method: 'PUT',
    url: `/api/v1/vendors/${vendorId}/metrics`,
    payload: { items: [{ metric: 'processor', definition: 'Per physical core × 0.5' }] },
  });
  expect(put.statusCode, put.body).toBe(200);
  const productId = await createProduct(client, vendorId, 'Database Enterprise', 2);
  const contract = await client.post('/api/v1/contracts', {
    vendorId,
    title: titles.contract ?? 'Database licences 2025',
    reference: 'PO-1',
    startsOn: '2025-01-01',
    endsOn: '2099-12-31',
    noticePeriodDays: 90,
    currency: 'EUR',
    terms: 'Net 30',
    lineItems: [
      { productId, quantity: 10, listUnitPrice: '1234.5678', discountPercent: '12.5', maintenancePercent: '22' },
      { productId, quantity: 4, listUnitPrice: '99.99' },
    ],
  });
  expect(contract.statusCode, contract.body).toBe(201);
  const proposal = await client.post('/api/v1/contracts', {
    vendorId,
    kind: 'proposal',
    title: titles.proposal ?? 'Renewal offer 2026',
    startsOn: '2026-01-01',
    currency: 'CHF',
    lineItems: [{ productId, quantity: 3, listUnitPrice: '10' }],
  });
  expect(proposal.statusCode, proposal.body).toBe(201);
  return { vendorId, productId, contract: contract.json(), proposal: proposal.json() };
}
