import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, signUpViaApi } from './support/accounts.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext } from './support/browser.js';
import { signInAsDemo, signInViaUi } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

/**
 * The screens people look at rather than read: the dashboard, the deadlines timeline and a product with
 * its price history, filled with the demo company, at 1280 px and 390 px; and an empty company's first step.
 */
async function settled(page: Page) {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  // bench/web.ts waits for the same: no section still marked busy.
  await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 30_000 }).toBe(0);
}

describe('dashboard, deadlines and products', () => {
  let server: E2eServer;
  let browser: Browser;
  let desk: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ demo: true }), launchChromium()]);
    desk = await newUserContext(browser, server.base, { width: 1280, height: 900 });
    phone = await newUserContext(browser, server.base, { width: 390, height: 844 });
    await signInAsDemo(await newPage(desk), server);
    await signInAsDemo(await newPage(phone), server);
  }, 600_000); // the demo server and two sign-ins take minutes on a busy machine
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function atBothWidths(name: string, open: (page: Page) => Promise<void>, check: (page: Page) => Promise<void>) {
    for (const [context, width] of [
      [desk, 'desk'],
      [phone, 'phone'],
    ] as const) {
      const page = await newPage(context);
      await open(page);
      await settled(page);
      await check(page);
      await expectCleanPage(page);
      await expectAccessible(page, `${name} (${width})`);
      await page.close();
    }
  }

  it('the dashboard opens on pending proposals, then deadlines, spend per currency and counts', async () => {
    await atBothWidths(
      'dashboard',
      (page) => page.goto('/').then(() => undefined),
      async (page) => {
        await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' }).count()).resolves.toBe(1);
        const decisions = page.getByRole('region', { name: 'Waiting for a decision' });
        expect(await decisions.locator('a[href^="/contracts/"]').count()).toBeGreaterThan(0);
        const deadlines = page.getByRole('region', { name: 'Next deadlines' });
        expect(await deadlines.getByText(/days? left|Today/).count()).toBeGreaterThan(0);
        expect(await deadlines.getByText(/Notice deadline|Contract ends/).count()).toBeGreaterThan(0);
        const spend = page.getByRole('region', { name: 'Spend by vendor' });
        expect(await spend.getByRole('img', { name: /Bar chart of spend by vendor in [A-Z]{3}/ }).count()).toBeGreaterThan(0);
        expect(await spend.locator('table caption').count()).toBeGreaterThan(0);
        const counts = page.getByRole('region', { name: 'In the vault' });
        await expect(counts.getByText('Active contracts').count()).resolves.toBe(1);
      },
    );
    // A pending proposal's link leads to it.
    const page = await newPage(desk);
    await page.goto('/');
    await settled(page);
    const first = page.getByRole('region', { name: 'Waiting for a decision' }).locator('a[href^="/contracts/"]').first();
    const href = await first.getAttribute('href');
    await first.click();
    await page.waitForURL((url) => url.pathname === href);
    await page.close();
  }, 300_000);

  it('the deadlines timeline groups the next 12 months by month, in words', async () => {
    await atBothWidths(
      'deadlines',
      (page) => page.goto('/deadlines').then(() => undefined),
      async (page) => {
        const months = page.getByRole('heading', { level: 2 });
        expect(await months.count()).toBeGreaterThan(0);
        await expect(months.first().textContent()).resolves.toMatch(/\d{4}/);
        expect(await page.getByText(/Notice deadline|Contract ends/).count()).toBeGreaterThan(0);
        expect(await page.locator('main a[href^="/contracts/"]').count()).toBeGreaterThan(0);
      },
    );
  }, 300_000);

  it('a product shows its holding, its price history as chart and table, and the metric definitions', async () => {
    let productPath = '';
    await atBothWidths(
      'product',
      async (page) => {
        if (!productPath) {
          await page.goto('/products');
          await settled(page);
          const link = page.locator('main a[href^="/products/"]').first();
          productPath = (await link.getAttribute('href')) ?? '';
          await link.click();
          await page.waitForURL((url) => url.pathname === productPath);
        } else {
          await page.goto(productPath);
        }
        // The product screen itself, not the list it came from: its chunk may still be loading after the URL changed.
        await page.getByRole('heading', { level: 2, name: 'Price history' }).waitFor();
      },
      async (page) => {
        await expect(page.getByRole('heading', { level: 2, name: 'Holdings' }).count()).resolves.toBe(1);
        await expect(page.getByText('Quantity').count()).resolves.toBeGreaterThan(0);
        const prices = page.getByRole('region', { name: 'Price history' });
        expect(await prices.getByRole('img', { name: /net unit prices/ }).count()).toBeGreaterThan(0);
        await prices.locator('svg.recharts-surface').first().waitFor();
        expect(await prices.locator('table tbody tr').count()).toBeGreaterThan(0);
        await expect(prices.getByText('Contract (circle)').count()).resolves.toBeGreaterThan(0);
        await expect(page.getByRole('heading', { level: 2, name: 'Licence metric' }).count()).resolves.toBe(1);
      },
    );
  }, 300_000);

  it('an empty company sees its first steps and fills itself with the demo data', async () => {
    const account = newAccount('empty');
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await signInViaUi(page, server, account);
    await settled(page);
    await expect(page.getByText('Nothing here yet').count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Add a vendor' }).getAttribute('href')).resolves.toBe('/vendors');
    await expectAccessible(page, 'dashboard (empty company)');
    await page.getByRole('button', { name: 'Load the demo data' }).click();
    await page.getByRole('region', { name: 'Waiting for a decision' }).waitFor({ timeout: 60_000 });
    await settled(page);
    expect(await page.getByRole('region', { name: 'Waiting for a decision' }).locator('a[href^="/contracts/"]').count()).toBeGreaterThan(0);
    await expectCleanPage(page);
    await context.close();
  }, 300_000);
});
