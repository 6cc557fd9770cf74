/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import assert from 'node:assert/strict';
import { ROOT } from '../../drills/support/pactum-process.js';

/** Debian's Chromium (`apt-get install chromium`); a test tool never downloads its own browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Violations {
  csp: string[];
  errors: string[];
}

const violationsByPage = new WeakMap<Page, Violations>();

/**
 * A browser context as a user has one: their language, a desk-sized or phone-sized window. Every page in
 * it reports CSP violations (the `securitypolicyviolation` event, recorded by an init script the browser
 * runs outside the page's CSP) and uncaught errors, so tests can insist there are none.
 */
export async function newUserContext(
  browser: Browser,
  base: string,
  options: { locale?: string; width?: number; height?: number } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: base,
    locale: options.locale ?? 'en-GB',
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    timezoneId: 'Europe/Zurich',
  });
  // Runs in every page before its own scripts, outside the page's CSP (the browser injects it).
  await context.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' (' + event.sourceFile + ':' + event.lineNumber + ')');
      });`,
  });
  context.on('page', (page) => watch(page));
  return context;
}

function watch(page: Page): Violations {
  const violations: Violations = { csp: [], errors: [] };
  violationsByPage.set(page, violations);
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) violations.csp.push(message.text());
  });
  page.on('pageerror', (error) => violations.errors.push(String(error)));
  return violations;
}

export async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  if (!violationsByPage.has(page)) watch(page);
  return page;
}

/** Fails on any CSP violation or uncaught error the page reported so far. */
export async function expectCleanPage(page: Page) {
  const recorded = violationsByPage.get(page) ?? { csp: [], errors: [] };
  const fromEvents = await page.evaluate<string[]>('window.__cspViolations ?? []').catch(() => []);
  assert.deepEqual([...recorded.csp, ...fromEvents], [], `CSP violations on ${page.url()}`);
  assert.deepEqual(recorded.errors, [], `uncaught errors on ${page.url()}`);
}

/** axe-core on the current screen: WCAG 2.x A/AA rules, no serious or critical violation allowed. */
export async function expectAccessible(page: Page, screen: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const serious = result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
          .map((node) => `${node.target.join(' ')} ${node.html.slice(0, 160)} ${node.failureSummary ?? ''}`)
          .join(', ')}`,
    );
  assert.deepEqual(serious, [], `accessibility of ${screen}`);
}

const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** Saves the screen for docs/ (README and the admin guide show them; phone/ and de/ hold the 390 px and German views). */
export async function saveScreenshot(page: Page, name: string) {
  const path = join(SCREENSHOTS, `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: false });
}
