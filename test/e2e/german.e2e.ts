import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { demoPassword } from './support/flows.js';
import { codesSentTo, startE2eServer, type E2eServer } from './support/server.js';
import { DEMO_EMAIL, DEMO_PHONE } from '../../src/demo.js';

/**
 * Issue 10, scenario 5: a browser set to Swiss German gets German on its first visit, and the main
 * screens then show no English left — checked against the catalogues: no visible line is an English
 * message whose German differs, and no line is a raw catalogue key.
 */
const LOCALES = join(import.meta.dirname, '..', '..', 'web', 'src', 'i18n', 'locales');

function messages(language: string): Map<string, string> {
  const flat = new Map<string, string>();
  const walk = (value: unknown, key: string) => {
    if (typeof value === 'string') flat.set(key, value);
    else for (const [inner, child] of Object.entries(value as object)) walk(child, key ? `${key}.${inner}` : inner);
  };
  for (const file of readdirSync(join(LOCALES, language)))
    walk(JSON.parse(readFileSync(join(LOCALES, language, file), 'utf8')), file.replace(/\.json$/, ''));
  return flat;
}

const english = messages('en');
const german = messages('de');
/** English texts without placeholders whose German differs: seeing one on a German screen is a miss. */
const untranslated = new Set(
  [...english]
    .filter(([key, text]) => !text.includes('{{') && german.get(key) !== text && text.trim().length > 2)
    .map(([, text]) => text.trim()),
);
const rawKey = /^[a-z]+(\.[a-zA-Z_]+)+$/;

async function leftovers(page: Page): Promise<string[]> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  const lines = (await page.locator('body').innerText()).split('\n').map((line) => line.trim());
  const labels = await page
    .locator('[aria-label], [placeholder], [title]')
    .evaluateAll((elements) =>
      elements.flatMap((element) => ['aria-label', 'placeholder', 'title'].map((name) => element.getAttribute(name) ?? '')),
    );
  return [...lines, ...labels.map((label) => label.trim())].filter((text) => untranslated.has(text) || rawKey.test(text));
}

describe('German throughout', () => {
  let server: E2eServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ demo: true }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('follows the browser language on the first visit and leaves no English on the main screens', async () => {
    const context = await newUserContext(browser, server.base, { locale: 'de-CH' });
    const page = await newPage(context);
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
    expect(await leftovers(page)).toEqual([]);

    const before = codesSentTo(server, DEMO_PHONE);
    await page.getByLabel('E-Mail').fill(DEMO_EMAIL);
    await page.getByLabel('Passwort', { exact: true }).fill(demoPassword(server));
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByLabel('Einmalcode').fill(await server.codeFor(DEMO_PHONE, before));
    await page.getByRole('button', { name: 'Code bestätigen' }).click();
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor();

    const found: Record<string, string[]> = {};
    for (const path of ['/', '/contracts', '/vendors', '/deadlines', '/team', '/team/groups', '/team/audit', '/account']) {
      await page.goto(path);
      const left = await leftovers(page);
      if (left.length) found[path] = left;
      await saveScreenshot(page, `de/${path === '/' ? 'dashboard' : path.slice(1).replace('/', '-')}`);
    }
    await page.goto('/contracts');
    const firstContract = page.locator('main a[href^="/contracts/"]').first();
    await firstContract.waitFor();
    const listTitle = await page.getByRole('heading', { level: 1 }).first().textContent();
    await firstContract.click();
    await page.waitForURL(/\/contracts\/[0-9a-f-]{36}/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).not.toBe(listTitle);
    const onContract = await leftovers(page);
    if (onContract.length) found['/contracts/{id}'] = onContract;
    expect(found).toEqual({});
    await expectCleanPage(page);
    await context.close();
  });
});
