import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DOCS_PREFIX } from '../../src/http/openapi.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * /api/docs in a real browser: Debian's Chromium (never a downloaded one) loads the reference from the
 * real app under its strict CSP and must render every operation without a single CSP violation.
 * Self-contained: builds the app on PGlite as the other tests do and listens on a free port.
 */
const CHROMIUM = process.env.PACTUM_E2E_CHROMIUM ?? '/usr/bin/chromium';

describe('the API reference at /api/docs in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // Playwright gives the browser a fresh temporary profile of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders every operation of the document with no CSP violation and no script error', async () => {
    const openapi = (await (await fetch(`${origin}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(openapi.paths).reduce((count, path) => count + Object.keys(path).length, 0);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // Injected by the browser's debugging protocol, so the CSP under test does not apply to it.
    await page.addInitScript({
      content: `window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (event) => {
          window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber);
        });`,
    });

    const response = await page.goto(`${origin}${API_DOCS_PREFIX}/`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'self'/);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 30_000 }).toBe(operations);
    await expect(page.getByText('Sign a new company up').count()).resolves.toBe(1);
    await expect(page.locator('.opblock-summary-path', { hasText: '/api/v1/contracts/{id}/documents' }).count()).resolves.toBe(2);

    // Opening an operation shows its problem responses with their codes.
    await page.locator('.opblock', { hasText: 'Revoke a user, handing their contracts over' }).locator('.opblock-summary').click();
    await expect.poll(() => page.locator('.responses-table').first().innerText(), { timeout: 15_000 }).toContain('handover_required');

    const violations = (await page.evaluate('window.cspViolations')) as string[];
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);
});
