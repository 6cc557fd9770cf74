import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, signUpViaApi, type Account } from './support/accounts.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { signInViaUi } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

/**
 * The contract vault in the browser: vendors, products, contracts with line items, documents with an
 * upload progress bar, filters and keyset paging, and proposals accepted — each screen free of CSP
 * violations and serious accessibility findings at desk and phone width.
 */

/** A small but valid PDF (header, one empty page, xref, trailer), padded with a comment to `size` bytes. */
function makePdf(size: number): Buffer {
  const objects = [
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n',
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  for (const object of objects) {
    offsets.push(body.length);
    body += object;
  }
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer << /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const padding = Math.max(0, size - body.length - 2);
  return Buffer.concat([Buffer.from(body, 'latin1'), Buffer.from(`%${'x'.repeat(Math.max(0, padding - 1))}\n`, 'latin1')]);
}

/** The API as a script signed in with the browser's session would call it (same cookie, same Origin). */
async function apiAs(context: BrowserContext, server: E2eServer) {
  const cookies = await context.cookies(server.base);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: { cookie, origin: server.base, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

async function heading(page: Page, name: string | RegExp) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

describe('the contract vault', () => {
  let server: E2eServer;
  let browser: Browser;
  beforeAll(async () => {
    // Load shedding off: this suite measures screens, not the event loop of a shared two-core machine.
    [server, browser] = await Promise.all([startE2eServer({ env: { PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0' } }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signedIn(account: Account, options: { width?: number; height?: number } = {}) {
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base, options);
    const page = await newPage(context);
    await signInViaUi(page, server, account);
    return { context, page };
  }

  it('scenario 1: a vendor, a product and a contract with line items made on the screens, then a PDF uploaded with progress', async () => {
    const { context, page } = await signedIn(newAccount('buyer'));

    // Vendors: the empty screen offers the one thing to do.
    await page.getByRole('link', { name: 'Vendors' }).click();
    await heading(page, 'Vendors');
    await page.getByText('No vendors yet').waitFor();
    await expectAccessible(page, 'vendors (empty)');
    await page.getByRole('button', { name: 'New vendor' }).click();
    const vendorDialog = page.getByRole('dialog', { name: 'New vendor' });
    await vendorDialog.getByLabel('Website').fill('not a web address');
    await vendorDialog.getByRole('button', { name: 'Create vendor' }).click();
    await vendorDialog.getByText('Required').waitFor(); // the name, checked before anything is sent
    await vendorDialog.getByText('A web address starting with http:// or https://').waitFor();
    await vendorDialog.getByLabel('Name').fill('Contoso Software AG');
    await vendorDialog.getByLabel('Website').fill('https://contoso.example');
    await vendorDialog.getByRole('button', { name: 'Create vendor' }).click();
    await heading(page, 'Contoso Software AG');

    // A product, with its licence metric and block size.
    await page.getByRole('button', { name: 'New product' }).click();
    const productDialog = page.getByRole('dialog', { name: 'New product' });
    await productDialog.getByLabel('Name').fill('Office Suite E3');
    await productDialog.getByLabel('SKU').fill('OS-E3');
    await productDialog.getByLabel('Licence metric').selectOption('named_user');
    await productDialog.getByLabel('Block size').fill('10');
    await productDialog.getByRole('button', { name: 'Create product' }).click();
    await productDialog.waitFor({ state: 'detached' }); // axe would otherwise measure it fading out
    await page.getByRole('link', { name: 'Office Suite E3' }).waitFor();
    expect(await page.getByRole('row', { name: /Office Suite E3 OS-E3 Named user 10/ }).count()).toBe(1);
    await expectAccessible(page, 'vendor');
    await expectCleanPage(page);

    // A contract with two line items, through the form; client checks first.
    await page.getByRole('link', { name: 'Contracts', exact: true }).click();
    await heading(page, 'Contracts');
    await page.getByRole('button', { name: 'New contract' }).first().click();
    const form = page.getByRole('dialog', { name: 'New contract' });
    await form.getByLabel('Vendor').selectOption({ label: 'Contoso Software AG' });
    await form.getByLabel('Title').fill('Office licences 2026');
    await form.getByLabel('Reference').fill('C-2026-001');
    const today = new Date();
    const year = today.getFullYear();
    await form.getByLabel('Start date').fill(`${year}-01-01`);
    // Ends within the coming year, so its deadlines appear on the timeline and the dashboard.
    const ends = new Date(Date.UTC(year, today.getMonth() + 8, 15));
    await form.getByLabel('End date').fill(ends.toISOString().slice(0, 10));
    await form.getByLabel('Notice period (days)').fill('90');
    await form.getByLabel('Product (line 1)').selectOption({ label: 'Office Suite E3 (OS-E3)' });
    expect(await form.getByLabel('Block size (line 1)').inputValue()).toBe('10'); // the product's default
    await form.getByLabel('Quantity (line 1)').fill('12.5');
    await form.getByLabel('List price (line 1)').fill('120.12345');
    await form.getByLabel('Discount % (line 1)').fill('10');
    await form.getByRole('button', { name: 'Create contract' }).click();
    await form.getByText('A whole number, digits only').waitFor();
    await form.getByText('An amount such as 1234.50: digits, a point and at most 4 decimals').waitFor();
    await form.getByLabel('Quantity (line 1)').fill('100');
    await form.getByLabel('List price (line 1)').fill('120.50');
    await form.getByRole('button', { name: 'Add line item' }).click();
    await form.getByLabel('Product (line 2)').selectOption({ label: 'Office Suite E3 (OS-E3)' });
    await form.getByLabel('Quantity (line 2)').fill('20');
    await form.getByLabel('List price (line 2)').fill('99.9');
    await form.getByLabel('Net price (line 2)').fill('80');
    await form.getByLabel('Maintenance % (line 2)').fill('20');
    await form.getByRole('button', { name: 'Create contract' }).click();

    // The contract page: header, line items and totals computed by the server.
    await heading(page, 'Office licences 2026');
    const lineItems = page.getByRole('region', { name: 'Line items' });
    // 100 × 120.50 less 10 % = 100 × 108.45 = 10,845.00; 20 × 80 = 1,600.00; together 12,445.00 CHF.
    await lineItems.getByText('CHF 12,445.00').waitFor();
    expect(await lineItems.getByRole('row').filter({ hasText: 'CHF 108.45' }).count()).toBe(1);
    // The notice deadline is the end date less 90 days, with the days left in words.
    const notice = new Date(ends.getTime() - 90 * 24 * 3600 * 1000);
    const noticeText = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(notice);
    await page.getByText(noticeText).waitFor();
    expect(await page.getByText(/\d+ days left/).count()).toBeGreaterThan(0);

    // Upload a 3 MB PDF on a slowed-down line, so the progress bar is seen moving.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: 10 * 1024 * 1024,
      uploadThroughput: 1024 * 1024,
    });
    const pdf = makePdf(3 * 1024 * 1024);
    // Every value the progress bar shows is recorded, however fast the upload goes.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __progress: number[] }).__progress = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('[role=progressbar]');
        if (bar) seen.push(Number(bar.getAttribute('aria-valuenow')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await page.locator('input[type=file]').setInputFiles({ name: 'Signed agreement.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('progressbar', { name: /Uploading Signed agreement\.pdf/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Signed agreement.pdf uploaded' }).waitFor({ timeout: 60_000 });
    const progress = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(progress.some((value) => value < 100)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const documents = page.getByRole('region', { name: 'Documents' });
    await documents.getByRole('cell', { name: 'Signed agreement.pdf', exact: true }).waitFor();

    // Download and preview links: the same bytes, as an attachment or (PDF only) inline.
    const download = documents.getByRole('link', { name: 'Download Signed agreement.pdf' });
    const preview = documents.getByRole('link', { name: 'Open Signed agreement.pdf in the browser' });
    const downloaded = await context.request.get(new URL((await download.getAttribute('href'))!, server.base).href);
    expect(downloaded.status()).toBe(200);
    expect(downloaded.headers()['content-disposition']).toMatch(/^attachment; filename="Signed agreement.pdf"/);
    expect(Buffer.from(await downloaded.body()).equals(pdf)).toBe(true);
    const inline = await context.request.get(new URL((await preview.getAttribute('href'))!, server.base).href);
    expect(inline.headers()['content-disposition']).toMatch(/^inline; filename="Signed agreement.pdf"/);
    expect(inline.headers()['content-type']).toBe('application/pdf');
    expect(inline.headers()['content-security-policy']).toBe('sandbox');

    // The preview opens in a tab of its own, in the browser's PDF viewer: nothing is downloaded.
    const [tab] = await Promise.all([context.waitForEvent('page'), preview.click()]);
    let downloadedInstead = false;
    tab.on('download', () => {
      downloadedInstead = true;
    });
    await tab.waitForLoadState('load');
    expect(tab.url()).toContain('disposition=inline');
    expect(await tab.evaluate(() => document.contentType)).toBe('application/pdf');
    expect(downloadedInstead).toBe(false);
    await tab.close();

    await expectAccessible(page, 'contract');
    await expectCleanPage(page);
    await page.getByRole('heading', { level: 1 }).scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'contract-new');

    // A refused file says why, next to the drop zone, before anything is sent.
    await page.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await documents.getByRole('alert').waitFor();

    // The list shows it with its notice deadline; the vendor page sums it per currency.
    await page.getByRole('link', { name: 'Contracts', exact: true }).click();
    await heading(page, 'Contracts');
    const row = page.getByRole('row').filter({ hasText: 'Office licences 2026' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/CHF\s12,445\.00/); // Intl puts a no-break space after the code
    expect(await row.textContent()).toMatch(/days left/);
    await page.getByRole('link', { name: 'Contoso Software AG' }).first().click();
    await heading(page, 'Contoso Software AG');
    await page.getByRole('region', { name: 'Totals of active contracts' }).getByText('CHF 12,445.00').waitFor();
    await saveScreenshot(page, 'vendor-new');
    await expectCleanPage(page);

    // Holdings: the two line items held together, 120 licences in blocks of 10.
    await page.getByRole('link', { name: 'Holdings' }).click();
    await heading(page, 'Holdings');
    const held = page.getByRole('row').filter({ hasText: 'Office Suite E3' });
    await held.waitFor();
    expect(await held.textContent()).toMatch(/Contoso Software AG.*Named user.*120.*12 × 10/);

    // Deadlines: the notice deadline and the end, each linking to the contract.
    await page.getByRole('link', { name: 'Deadlines', exact: true }).click();
    await heading(page, 'Deadlines');
    const timeline = page.getByRole('main');
    await timeline.getByText(noticeText).waitFor();
    expect(await timeline.getByRole('link', { name: 'Office licences 2026' }).count()).toBe(2);

    // The dashboard: the deadlines ahead, the spend with its vendor, the counts.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await heading(page, 'Dashboard');
    const next = page.getByRole('region', { name: 'Next deadlines' });
    await next.getByRole('link', { name: 'Office licences 2026' }).first().waitFor();
    const spend = page.getByRole('region', { name: 'Spend by vendor' });
    expect(await spend.getByRole('row').filter({ hasText: 'Contoso Software AG' }).textContent()).toMatch(/1\s*CHF\s12,445\.00/);
    await expectCleanPage(page);
    await context.close();
  }, 300_000);

  it('filters in the URL, load more past the first page, totals per currency for a vendor, at 1280 and 390 px', async () => {
    const account = newAccount('lister');
    const { context, page } = await signedIn(account);
    const call = await apiAs(context, server);
    const alpha = await call<{ id: string }>('POST', '/api/v1/vendors', { name: 'Alpha Systems' });
    const beta = await call<{ id: string }>('POST', '/api/v1/vendors', { name: 'Beta Cloud' });
    const product = await call<{ id: string }>('POST', '/api/v1/products', { vendorId: alpha.id, name: 'Seat', metric: 'user' });
    for (let n = 1; n <= 51; n += 1) {
      await call('POST', '/api/v1/contracts', {
        vendorId: alpha.id,
        title: `Alpha contract ${String(n).padStart(2, '0')}`,
        startsOn: '2026-01-01',
        endsOn: '2027-06-30',
        noticePeriodDays: 60,
        currency: n % 2 === 0 ? 'EUR' : 'CHF',
        lineItems: [{ productId: product.id, quantity: 1, listUnitPrice: '100.25' }],
      });
    }
    for (let n = 1; n <= 2; n += 1) {
      await call('POST', '/api/v1/contracts', {
        vendorId: beta.id,
        kind: 'proposal',
        title: `Beta offer ${n}`,
        startsOn: '2026-03-01',
        currency: 'USD',
      });
    }

    await page.getByRole('link', { name: 'Contracts', exact: true }).click();
    await heading(page, 'Contracts');
    await page.getByText('50 shown').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('53 shown').waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await expectAccessible(page, 'contracts');
    await saveScreenshot(page, 'contracts-load-more'); // 'contracts' is the demo company's list (screens.e2e)

    // Filters live in the URL: a reload keeps them.
    await page.getByLabel('Kind').selectOption('proposal');
    await page.waitForURL(/kind=proposal/);
    await page.getByText('2 shown').waitFor();
    await page.reload();
    await heading(page, 'Contracts');
    await page.getByText('2 shown').waitFor();
    expect(await page.getByLabel('Kind').inputValue()).toBe('proposal');
    await page.getByLabel('Kind').selectOption('');
    await page.getByLabel('Vendor', { exact: true }).selectOption({ label: 'Alpha Systems' });
    await page.waitForURL(new RegExp(`vendorId=${alpha.id}`));
    await page.getByText('50 shown').waitFor();
    const totals = page.getByRole('region', { name: "Totals of this vendor's active contracts" });
    // 26 odd-numbered contracts in CHF, 25 even in EUR, each 100.25: never added across currencies.
    await totals.getByRole('row').filter({ hasText: 'CHF 2,606.50' }).waitFor();
    await totals.getByRole('row').filter({ hasText: '€2,506.25' }).waitFor();
    await page.getByLabel('Search title or reference').fill('contract 07');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=contract/);
    await page.getByText('1 shown').waitFor();
    await page.getByLabel('Group by vendor').check();
    await page.waitForURL(/byVendor=true/);
    await expect.poll(() => page.getByRole('columnheader', { name: 'Vendor', exact: true }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Alpha Systems' }).count()).toBe(1);
    await expectCleanPage(page);

    // The same screens at phone width.
    const phone = await newUserContext(browser, server.base, { width: 390, height: 844 });
    const small = await newPage(phone);
    await signInViaUi(small, server, account);
    for (const [path, title] of [
      ['/contracts', 'Contracts'],
      ['/vendors', 'Vendors'],
      [`/vendors/${alpha.id}`, 'Alpha Systems'],
    ] as const) {
      await small.goto(path);
      await heading(small, title);
      await small.getByRole('table').first().waitFor();
      await expectAccessible(small, `${path} at 390 px`);
      await expectCleanPage(small);
    }
    const { items } = await call<{ items: Array<{ id: string }> }>('GET', `/api/v1/contracts?vendorId=${alpha.id}&limit=1`);
    await small.goto(`/contracts/${items[0]!.id}`);
    await small.getByRole('region', { name: 'Line items' }).waitFor();
    await expectAccessible(small, 'contract at 390 px');
    await expectCleanPage(small);
    await phone.close();
    await context.close();
  }, 400_000);

  it('accepts a proposal: it becomes an active contract, and the decided proposal is frozen', async () => {
    const { context, page } = await signedIn(newAccount('decider'));
    const call = await apiAs(context, server);
    const vendor = await call<{ id: string }>('POST', '/api/v1/vendors', { name: 'Gamma Analytics' });
    const product = await call<{ id: string }>('POST', '/api/v1/products', {
      vendorId: vendor.id,
      name: 'Analyst seat',
      metric: 'named_user',
    });
    const current = await call<{ id: string }>('POST', '/api/v1/contracts', {
      vendorId: vendor.id,
      title: 'Analytics 2026',
      startsOn: '2026-01-01',
      endsOn: '2026-12-31',
      currency: 'CHF',
      lineItems: [{ productId: product.id, quantity: 10, listUnitPrice: '500' }],
    });
    const proposal = await call<{ id: string }>('POST', '/api/v1/contracts', {
      vendorId: vendor.id,
      kind: 'proposal',
      title: 'Analytics renewal offer',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
      currency: 'CHF',
      supersedesId: current.id,
      lineItems: [{ productId: product.id, quantity: 12, listUnitPrice: '480' }],
    });

    await page.goto(`/contracts/${proposal.id}`);
    await heading(page, 'Analytics renewal offer');
    await page.getByText('This proposal is waiting for a decision.').waitFor();
    // Side by side with the contract it would replace.
    const versions = page.getByRole('region', { name: 'Compared with the version it would replace' });
    await versions.getByText('CHF 5,760.00').first().waitFor();
    await versions.getByText('CHF 5,000.00').first().waitFor();
    await expectAccessible(page, 'proposal');
    await page.getByRole('button', { name: 'Accept proposal' }).click();
    const confirm = page.getByRole('dialog', { name: 'Accept this proposal?' });
    await confirm.getByRole('button', { name: 'Accept proposal' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/contracts/') && !url.pathname.endsWith(proposal.id));
    await heading(page, 'Analytics renewal offer');
    await page.getByText('Active', { exact: true }).first().waitFor();

    await page.goto(`/contracts/${proposal.id}`);
    await page.getByText('This proposal was accepted').waitFor();
    expect(await page.getByRole('button', { name: 'Accept proposal' }).count()).toBe(0);
    await expectCleanPage(page);
    await context.close();
  }, 300_000);
});
