import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { signInAsDemo } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

/**
 * Your data (/data) as the demo master: the Excel export downloads through a blob: link under the strict
 * CSP and holds the demo contracts; a CSV import is checked (dry run, nothing written), then applied, and
 * the new vendor is there afterwards.
 */
describe('Your data', () => {
  let server: E2eServer;
  let browser: Browser;
  let desk: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ demo: true }), launchChromium()]);
    desk = await newUserContext(browser, server.base, { width: 1280, height: 860 });
    page = await newPage(desk);
    await signInAsDemo(page, server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('downloads everything as an .xlsx that holds the demo contracts', async () => {
    await page.getByRole('link', { name: 'Your data' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your data' }).waitFor();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download everything as Excel' }).click();
    const download = await downloading;
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    const path = join(mkdtempSync(join(tmpdir(), 'pactum-e2e-export-')), download.suggestedFilename());
    await download.saveAs(path);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    // Contracts and proposals share the list API; the workbook has a sheet for each.
    const titles: string[] = [];
    for (const name of ['Contracts', 'Proposals']) {
      const sheet = workbook.getWorksheet(name);
      assert.ok(sheet, `the workbook has a ${name} sheet`);
      sheet.eachRow((row, number) => {
        if (number > 1) titles.push(String(row.getCell(5).value));
      });
    }
    const response = await page.request.get('/api/v1/contracts?limit=500');
    const listed = ((await response.json()) as { items: Array<{ title: string }> }).items.map((contract) => contract.title);
    assert.ok(listed.length > 0, 'the demo company has contracts');
    for (const title of listed.filter((title) => !titles.includes(title))) assert.fail(`contract "${title}" missing from the export`);
    await page.getByText(/^Saved .*\.xlsx/).waitFor();
    await expectCleanPage(page);
  });

  it('checks a CSV (dry run) and then applies it; the new vendor is listed', async () => {
    const vendorName = `Imported Vendor ${Date.now()}`;
    const file = join(mkdtempSync(join(tmpdir(), 'pactum-e2e-import-')), 'suppliers.csv');
    writeFileSync(file, `Supplier;Web\n${vendorName};https://vendor.example\n`);
    await page.goto('/data');
    await page.getByRole('heading', { level: 1, name: 'Your data' }).waitFor();
    await page.locator('input[type="file"]').setInputFiles(file);
    await page.getByRole('combobox', { name: 'Field for the column Supplier' }).click();
    await page.getByRole('option', { name: 'Name', exact: true }).click();
    await page.getByRole('combobox', { name: 'Field for the column Web' }).click();
    await page.getByRole('option', { name: 'Website', exact: true }).click();
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByText('Check finished: nothing was written yet').waitFor();
    await page.getByText('1 to create and 0 to update').waitFor();
    const before = (await (await page.request.get('/api/v1/vendors?limit=500')).json()) as { items: Array<{ name: string }> };
    assert.ok(!before.items.some((vendor) => vendor.name === vendorName), 'a dry run writes nothing');
    await expectAccessible(page, 'data (dry run report)');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Import applied').waitFor();
    await page.getByText('1 created and 0 updated.').waitFor();
    await saveScreenshot(page, 'data');
    await page.goto('/vendors');
    const after = (await (await page.request.get('/api/v1/vendors?limit=500')).json()) as { items: Array<{ name: string }> };
    assert.ok(
      after.items.some((vendor) => vendor.name === vendorName),
      'the applied import created the vendor',
    );
    await expectCleanPage(page);
  });

  it('a CSV with a bad row shows every error with its sheet and cell', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pactum-e2e-import-')), 'products.csv');
    writeFileSync(file, `Vendor id,Name\nno-such-vendor,Widget\n`);
    await page.goto('/data');
    await page.locator('input[type="file"]').setInputFiles(file);
    await page.getByRole('combobox', { name: 'What the CSV file contains' }).click();
    await page.getByRole('option', { name: 'Products' }).click();
    await page.getByRole('button', { name: 'Check file' }).click();
    const errors = page.getByRole('table', { name: 'Problems in the file' });
    await errors.waitFor();
    assert.match(await errors.innerText(), /Products\s+A?\d*[A-Z]+\d+/);
    assert.equal(await page.getByRole('button', { name: 'Apply' }).count(), 0, 'nothing to apply while the file has errors');
  });

  for (const [width, height] of [
    [1280, 860],
    [390, 844],
  ] as const) {
    it(`is clean and accessible at ${width} px`, async () => {
      const context = await newUserContext(browser, server.base, { width, height });
      const view = await newPage(context);
      await signInAsDemo(view, server);
      await view.goto('/data');
      await view.getByRole('heading', { level: 1, name: 'Your data' }).waitFor();
      await view.waitForLoadState('networkidle');
      await expectCleanPage(view);
      await expectAccessible(view, `data (${width} px)`);
      await context.close();
    });
  }
});
