import { crc32, deflateRawSync } from 'node:zlib';
import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, type FormPart } from '../documents/helpers.js';
import { registerCompany, startTestApp, type Client, type TestApp } from '../helpers/test-app.js';
import { downloadExport, readWorkbook, seedVault } from './helpers.js';

function upload(client: Client, parts: FormPart[], dryRun = false) {
  const { body, contentType } = multipartBody(parts);
  return client.request({
    method: 'POST',
    url: `/api/v1/imports${dryRun ? '?dryRun=true' : ''}`,
    payload: body,
    headers: { 'content-type': contentType },
  });
}

const xlsxPart = (data: Buffer): FormPart => ({
  name: 'file',
  filename: 'vault.xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  data,
});

/** What a company's vault looks like through the API, without ids, people and timestamps. */
async function vaultThroughApi(client: Client) {
  const vendors = (await client.get('/api/v1/vendors?limit=500')).json().items;
  const vendorName = new Map(vendors.map((vendor: { id: string; name: string }) => [vendor.id, vendor.name]));
  const products = (await client.get('/api/v1/products?limit=500')).json().items;
  const productName = new Map(products.map((product: { id: string; name: string }) => [product.id, product.name]));
  const metrics = [];
  for (const vendor of vendors) metrics.push({ vendor: vendor.name, ...(await client.get(`/api/v1/vendors/${vendor.id}/metrics`)).json() });
  const summaries = (await client.get('/api/v1/contracts?limit=500')).json().items;
  const contracts = [];
  for (const summary of summaries) {
    const {
      id: _id,
      managerId: _m,
      createdAt: _c,
      updatedAt: _u,
      vendorId,
      supersedesId,
      lineItems,
      ...rest
    } = (await client.get(`/api/v1/contracts/${summary.id}`)).json();
    contracts.push({
      ...rest,
      vendor: vendorName.get(vendorId),
      supersedes: supersedesId ? summaries.find((s: { id: string }) => s.id === supersedesId)?.title : null,
      lineItems: lineItems.map(({ id: _line, productId, ...line }: { id: string; productId: string }) => ({
        ...line,
        product: productName.get(productId),
      })),
    });
  }
  return {
    vendors: vendors.map(({ id: _id, createdAt: _c, updatedAt: _u, ...vendor }: Record<string, unknown>) => vendor),
    products: products.map(({ id: _id, vendorId, createdAt: _c, updatedAt: _u, ...product }: Record<string, unknown>) => ({
      ...product,
      vendor: vendorName.get(vendorId as string),
    })),
    metrics,
    contracts: contracts.sort((a, b) => String(a.title).localeCompare(String(b.title))),
  };
}

/** A ZIP archive built by hand, so its entries can be anything (e.g. a bomb). */
function zipOf(entries: Array<{ name: string; data: Buffer; declaredSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const name = Buffer.from(entry.name);
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(entry.data), 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(entry.data), 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += 30 + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Edits a workbook with ExcelJS's in-memory API, as a person would in a spreadsheet, and writes it back. */
async function edited(bytes: Buffer, edit: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = await readWorkbook(bytes);
  edit(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('POST /api/v1/imports', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('export → import into an empty company reproduces the same data; re-importing it changes nothing', async () => {
    const source = await registerCompany(t);
    const { vendorId } = await seedVault(source.client, { contract: '=1+1', proposal: '@renewal' });
    const patched = await source.client.request({
      method: 'PATCH',
      url: `/api/v1/vendors/${vendorId}`,
      payload: { website: 'https://oracle.example', notes: 'Key account\nsecond line', aliases: ['ORCL', 'Oracle Corp'] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const bytes = await downloadExport(source.client);

    const target = await registerCompany(t);
    const dry = await upload(target.client, [xlsxPart(bytes)], true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().errors).toEqual([]);
    expect(dry.json()).toMatchObject({ creates: 1 + 1 + 1 + 1 + 1 + 3, updates: 0, errors: [] });
    expect((await target.client.get('/api/v1/vendors')).json().items).toEqual([]);

    const applied = await upload(target.client, [xlsxPart(bytes)]);
    expect(applied.statusCode, applied.body).toBe(201);
    expect(applied.json().errors).toEqual([]);
    expect(applied.json().sheets).toEqual(
      expect.arrayContaining([
        { sheet: 'Vendors', creates: 1, updates: 0 },
        { sheet: 'Line items', creates: 3, updates: 0 },
      ]),
    );
    expect(await vaultThroughApi(target.client)).toEqual(await vaultThroughApi(source.client));

    const again = await upload(source.client, [xlsxPart(bytes)]);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({ creates: 0, updates: 0, errors: [] });
    const audit = await t.db.asOwner<{ action: string }>(
      "SELECT action FROM audit_events WHERE tenant_id = $1 AND action = 'data.imported'",
      [target.tenantId],
    );
    expect(audit).toHaveLength(1);
  });

  it('applies edits as updates of the records the ids name', async () => {
    const company = await registerCompany(t);
    const { contract } = await seedVault(company.client);
    const bytes = await edited(await downloadExport(company.client), (workbook) => {
      workbook.getWorksheet('Contracts')!.getCell('E2').value = 'Renamed in a spreadsheet';
    });
    const applied = await upload(company.client, [xlsxPart(bytes)]);
    expect(applied.statusCode, applied.body).toBe(201);
    expect(applied.json()).toMatchObject({ creates: 0, updates: 1 });
    expect((await company.client.get(`/api/v1/contracts/${contract.id}`)).json().title).toBe('Renamed in a spreadsheet');
  });

  it('refuses a file with one bad row as a whole, naming every bad cell, and writes nothing', async () => {
    const source = await registerCompany(t);
    await seedVault(source.client);
    const bytes = await edited(await downloadExport(source.client), (workbook) => {
      workbook.getWorksheet('Contracts')!.getCell('E2').value = null; // title
      const lines = workbook.getWorksheet('Line items')!;
      // the contract's second line item (positions sort its rows): quantity in column G
      let row = 0;
      lines.eachRow((line, number) => {
        if (number > 1 && line.getCell(12).value === 0 && line.getCell(13).value === 'EUR') row = number;
        if (number > 1 && line.getCell(9).value === 99.99) row = number;
      });
      lines.getCell(`G${row}`).value = -5;
      workbook.getWorksheet('Vendors')!.addRow(['new-vendor', 'Second vendor', 'not a url']);
    });
    const target = await registerCompany(t);
    const refused = await upload(target.client, [xlsxPart(bytes)]);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().code).toBe('import_invalid');
    const errors = refused.json().errors as Array<{ sheet: string; cell: string; message: string }>;
    expect(errors.map((error) => `${error.sheet}!${error.cell}`).sort()).toEqual(
      expect.arrayContaining(['Vendors!C3', 'Contracts!E2', expect.stringMatching(/^Line items!G[2-4]$/)]),
    );
    expect(errors.find((error) => error.cell === 'E2')!.message).toMatch(/title/);
    expect(errors.find((error) => error.sheet === 'Line items')!.message).toMatch(/quantity/);
    for (const path of ['/api/v1/vendors', '/api/v1/products', '/api/v1/contracts']) {
      expect((await target.client.get(path)).json().items, path).toEqual([]);
    }
    // The dry run reports the same errors with 200.
    const dry = await upload(target.client, [xlsxPart(bytes)], true);
    expect(dry.statusCode).toBe(200);
    expect(dry.json().errors).toEqual(errors);
  });

  it('refuses a zip bomb while unpacking it, whatever sizes the archive declares', async () => {
    const company = await registerCompany(t);
    const zeros = Buffer.alloc(70 * 1024 * 1024);
    const honest = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: zeros }]);
    expect(honest.length).toBeLessThan(200 * 1024);
    const refused = await upload(company.client, [xlsxPart(honest)]);
    expect(refused.statusCode, refused.body).toBe(413);
    expect(refused.json().detail).toMatch(/unpacks to more than/);

    const lying = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: zeros, declaredSize: 1000 }]);
    const alsoRefused = await upload(company.client, [xlsxPart(lying)]);
    expect(alsoRefused.statusCode, alsoRefused.body).toBe(413);

    const many = zipOf(Array.from({ length: 150 }, (_, index) => ({ name: `part${index}.xml`, data: Buffer.from('x') })));
    const tooMany = await upload(company.client, [xlsxPart(many)]);
    expect(tooMany.statusCode, tooMany.body).toBe(413);
    expect(tooMany.json().detail).toMatch(/150 parts/);
  });

  it('imports a CSV with a column mapping, text kept literal', async () => {
    const company = await registerCompany(t);
    const csv = 'Supplier;Homepage;Remarks\r\n"Acme; Inc.";https://acme.example;"says ""hi"""\r\n=HYPERLINK("x");;\r\n';
    const mapping = JSON.stringify({ sheet: 'Vendors', columns: { Supplier: 'name', Homepage: 'website', Remarks: 'notes' } });
    const parts: FormPart[] = [
      { name: 'mapping', data: mapping },
      { name: 'file', filename: 'vendors.csv', contentType: 'text/csv', data: csv },
    ];
    const dry = await upload(company.client, parts, true);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ creates: 2, updates: 0, errors: [] });
    const applied = await upload(company.client, parts);
    expect(applied.statusCode, applied.body).toBe(201);
    const vendors = (await company.client.get('/api/v1/vendors')).json().items;
    expect(
      vendors
        .map((vendor: { name: string; website: string | null; notes: string | null }) => [vendor.name, vendor.website, vendor.notes])
        .sort(),
    ).toEqual([
      ['=HYPERLINK("x")', null, null],
      ['Acme; Inc.', 'https://acme.example', 'says "hi"'],
    ]);

    const acme = vendors.find((vendor: { name: string }) => vendor.name.startsWith('Acme')).id;
    const products = `vendor,product,metric,block\n${acme},Widget,user,5\n${acme},Gadget,per_head,1\n`;
    const productParts: FormPart[] = [
      {
        name: 'mapping',
        data: JSON.stringify({ sheet: 'Products', columns: { vendor: 'vendorId', product: 'name', metric: 'metric', block: 'blockSize' } }),
      },
      { name: 'file', filename: 'products.csv', data: products },
    ];
    const refused = await upload(company.client, productParts);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().errors).toEqual([{ sheet: 'Products', cell: 'C3', message: expect.stringMatching(/metric/) }]);
    expect((await company.client.get('/api/v1/products')).json().items).toEqual([]);
  });

  it('answers 415 for a file that is neither a workbook nor a mapped CSV, and 401 without a session', async () => {
    const company = await registerCompany(t);
    const plain = await upload(company.client, [{ name: 'file', filename: 'x.csv', data: 'a,b\n1,2\n' }]);
    expect(plain.statusCode).toBe(415);
    const { body, contentType } = multipartBody([{ name: 'file', filename: 'x.csv', data: 'a' }]);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      payload: body,
      headers: { 'content-type': contentType, origin: 'http://localhost:3000' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
