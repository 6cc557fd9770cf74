import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageAuthentication } from '../tenancy/helpers.js';
import { addGroup, addUser, createContract, createVendor } from '../contracts/helpers.js';
import { registerCompany, startTestApp, type TestApp } from '../helpers/test-app.js';
import { downloadExport, readWorkbook, seedVault, sheetRows } from './helpers.js';

describe('GET /api/v1/export.xlsx', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('streams one workbook with every sheet, typed cells, frozen header, widths and auto-filter', async () => {
    const company = await registerCompany(t, { companyName: 'Initech Zürich AG' });
    const { contract, proposal, productId, vendorId } = await seedVault(company.client);
    const response = await company.client.get('/api/v1/export.xlsx');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="pactum-initech-zurich-ag-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(Number(response.headers['x-pactum-export-records'])).toBe(1 + 3 + 1 + 1 + 1 + 1); // contract, line items (2 + 1), proposal, vendors, products, metric definitions

    const workbook = await readWorkbook(response.rawPayload);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'Contracts',
      'Line items',
      'Proposals',
      'Vendors',
      'Products',
      'Holdings',
      'Deadlines',
      'Documents',
      'Metric definitions',
    ]);
    const contracts = workbook.getWorksheet('Contracts')!;
    expect(contracts.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(contracts.getRow(1).getCell(5).value).toBe('Title');
    expect(contracts.getRow(1).font?.bold ?? contracts.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(contracts.getColumn(5).width).toBe(40);
    expect(contracts.autoFilter).toBe('A1:U2');

    const [row] = sheetRows(workbook, 'Contracts');
    expect(row![0]).toBe(contract.id);
    expect(row![4]).toBe('Database licences 2025');
    expect(row![6]).toBeUndefined(); // signed on: an empty cell
    expect(row![7]).toEqual(new Date(Date.UTC(2025, 0, 1)));
    expect(contracts.getRow(2).getCell(8).numFmt).toBe('yyyy-mm-dd');
    expect(row![9]).toBe(90);
    expect(row![10]).toBe(false);
    expect(row![12]).toBe('EUR');
    // 10 × 1080.2468 (1234.5678 less 12.5 %, rounded to 4 places) + 4 × 99.99
    expect(row![13]).toBe(Number(contract.totals.net));
    expect(contracts.getRow(2).getCell(14).numFmt).toBe('#,##0.0000');
    expect(row![15]).toBe(company.email);

    const lines = sheetRows(workbook, 'Line items');
    expect(lines).toHaveLength(3);
    const first = lines.find((line) => line[1] === contract.id && line[6] === 10)!;
    expect(first[4]).toBe(productId);
    expect(first[6]).toBe(10);
    expect(first[8]).toBe(1234.5678);
    expect(first[9]).toBe(12.5);
    expect(first[10]).toBe(1080.2468);
    expect(first[12]).toBe('EUR');
    const lineSheet = workbook.getWorksheet('Line items')!;
    expect(lineSheet.getRow(2).getCell(9).numFmt).toBe('#,##0.0000');

    expect(sheetRows(workbook, 'Proposals').map((p) => [p[0], p[5]])).toEqual([[proposal.id, 'pending']]);
    expect(sheetRows(workbook, 'Vendors').map((v) => [v[0], v[1]])).toEqual([[vendorId, 'Oracle']]);
    expect(sheetRows(workbook, 'Products').map((p) => [p[0], p[3], p[5], p[6]])).toEqual([[productId, 'Database Enterprise', 'user', 2]]);
    expect(sheetRows(workbook, 'Holdings').map((h) => [h[0], h[6], h[7]])).toEqual([[productId, 14, 7]]);
    expect(sheetRows(workbook, 'Deadlines').map((d) => [d[0], d[3], d[4]])).toEqual([
      [contract.id, 'notice', new Date(Date.UTC(2099, 9, 2))],
      [contract.id, 'end', new Date(Date.UTC(2099, 11, 31))],
    ]);
    expect(sheetRows(workbook, 'Metric definitions')).toEqual([[vendorId, 'Oracle', 'processor', 'Per physical core × 0.5']]);
  });

  it('writes text that looks like a formula as literal text, never as a formula', async () => {
    const company = await registerCompany(t);
    const vendorId = await createVendor(company.client, '@x');
    for (const title of ['=1+1', '+cmd|/c calc', '@SUM(A1)', '-2+3']) {
      await createContract(company.client, { vendorId, title, startsOn: '2025-01-01', currency: 'EUR' });
    }
    const workbook = await readWorkbook(await downloadExport(company.client));
    const sheet = workbook.getWorksheet('Contracts')!;
    const titles: unknown[] = [];
    sheet.eachRow((row, number) => {
      if (number === 1) return;
      const cell = row.getCell(5);
      expect(cell.formula).toBeUndefined();
      expect(cell.type).toBe(3); // ExcelJS ValueType.String
      titles.push(cell.value);
    });
    expect(titles.sort()).toEqual(['+cmd|/c calc', '-2+3', '=1+1', '@SUM(A1)']);
    expect(sheetRows(workbook, 'Vendors')[0]![1]).toBe('@x');
  });

  it('leaves out a restricted contract, its line items and its documents for a member outside its group', async () => {
    const company = await registerCompany(t);
    const insider = await addUser(t, company);
    const outsider = await addUser(t, company);
    const groupId = await addGroup(t, company.tenantId, 'Board', [company.userId, insider.userId]);
    const { vendorId, productId } = await seedVault(company.client);
    const secret = await createContract(company.client, {
      vendorId,
      title: 'Secret merger licences',
      startsOn: '2025-01-01',
      endsOn: '2099-06-30',
      currency: 'USD',
      groupIds: [groupId],
      lineItems: [{ productId, quantity: 777, listUnitPrice: '1' }],
    });
    const seen = await readWorkbook(await downloadExport(insider.client));
    expect(sheetRows(seen, 'Contracts').map((row) => row[0])).toContain(secret.id);

    const workbook = await readWorkbook(await downloadExport(outsider.client));
    for (const sheet of workbook.worksheets) {
      sheet.eachRow((row) => {
        const values = JSON.stringify(row.values);
        expect(values, sheet.name).not.toContain(secret.id);
        expect(values, sheet.name).not.toContain('Secret merger');
        // 777 as a number of its own, not as digits inside a random UUID
        expect(row.values as unknown[], sheet.name).not.toContain(777);
      });
    }
    expect(sheetRows(workbook, 'Contracts')).toHaveLength(1);
  });

  it('requires an authentication within the last 15 minutes, and records the export and the refusal', async () => {
    const company = await registerCompany(t);
    await ageAuthentication(t, company.userId, 16);
    const refused = await company.client.get('/api/v1/export.xlsx');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('reauthentication_required');

    const fresh = await registerCompany(t);
    await downloadExport(fresh.client);
    const events = await t.db.asOwner<{ action: string; tenant_id: string; outcome: string }>(
      "SELECT action, tenant_id, outcome FROM audit_events WHERE action LIKE 'data.export%' AND tenant_id = ANY($1::uuid[]) ORDER BY seq",
      [[company.tenantId, fresh.tenantId]],
    );
    expect(events).toEqual([
      { action: 'data.export_refused', tenant_id: company.tenantId, outcome: 'denied' },
      { action: 'data.exported', tenant_id: fresh.tenantId, outcome: 'success' },
    ]);
  });

  it('runs one export per user at a time, and the next once the previous one is done', async () => {
    const company = await registerCompany(t);
    await seedVault(company.client);
    const [first, second] = await Promise.all([company.client.get('/api/v1/export.xlsx'), company.client.get('/api/v1/export.xlsx')]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 429]);
    expect((await company.client.get('/api/v1/export.xlsx')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'HEAD', url: '/api/v1/export.xlsx' })).statusCode).toBe(405);
  });

  it('answers 401 without a session', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/export.xlsx' });
    expect(response.statusCode).toBe(401);
  });
});
