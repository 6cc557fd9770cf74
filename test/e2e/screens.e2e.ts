import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { signInAsDemo } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

/**
 * Every main screen, filled with the demo company's data, at a desk (1280 px) and a phone (390 px):
 * no CSP violation reported to the page, no uncaught error, no serious or critical axe finding.
 * Detail screens are reached the way a user reaches them, by following the first link of their kind.
 */
interface Screen {
  name: string;
  open(page: Page): Promise<void>;
}

async function followFirst(page: Page, listPath: string, hrefPrefix: string) {
  await page.goto(listPath);
  const link = page.locator(`main a[href^="${hrefPrefix}"]`).first();
  await link.waitFor();
  const listTitle = await page.getByRole('heading', { level: 1 }).first().textContent();
  await link.click();
  await page.waitForURL((url) => url.pathname.startsWith(hrefPrefix));
  // The URL changes before a lazily loaded screen replaces the list: wait for the new screen's own title.
  await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).not.toBe(listTitle);
}

const SCREENS: Screen[] = [
  { name: 'dashboard', open: (page) => page.goto('/').then(() => undefined) },
  { name: 'contracts', open: (page) => page.goto('/contracts').then(() => undefined) },
  { name: 'contract', open: (page) => followFirst(page, '/contracts', '/contracts/') },
  { name: 'vendors', open: (page) => page.goto('/vendors').then(() => undefined) },
  { name: 'vendor', open: (page) => followFirst(page, '/vendors', '/vendors/') },
  { name: 'product', open: (page) => followFirst(page, '/vendors', '/vendors/').then(() => followFirst(page, page.url(), '/products/')) },
  { name: 'deadlines', open: (page) => page.goto('/deadlines').then(() => undefined) },
  { name: 'team', open: (page) => page.goto('/team').then(() => undefined) },
  { name: 'team-groups-list', open: (page) => page.goto('/team/groups').then(() => undefined) },
  { name: 'team-audit-list', open: (page) => page.goto('/team/audit').then(() => undefined) },
  { name: 'account', open: (page) => page.goto('/account').then(() => undefined) },
];

async function settle(page: Page) {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
}

describe('every main screen', () => {
  let server: E2eServer;
  let browser: Browser;
  let desk: BrowserContext;
  let phone: BrowserContext;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ demo: true }), launchChromium()]);
    desk = await newUserContext(browser, server.base, { width: 1280, height: 860 });
    phone = await newUserContext(browser, server.base, { width: 390, height: 844 });
    await signInAsDemo(await newPage(desk), server);
    await signInAsDemo(await newPage(phone), server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const screen of SCREENS) {
    it(`${screen.name}: clean and accessible at 1280 px and at 390 px`, async () => {
      for (const [context, width] of [
        [desk, 'desk'],
        [phone, 'phone'],
      ] as const) {
        const page = await newPage(context);
        await screen.open(page);
        await settle(page);
        await expectCleanPage(page);
        await expectAccessible(page, `${screen.name} (${width})`);
        await saveScreenshot(page, width === 'desk' ? screen.name : `phone/${screen.name}`);
        await page.close();
      }
    });
  }
});
