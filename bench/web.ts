/**
 * `npm run bench:web` (issue 10): in Debian's Chromium against the demo company on the built server, the
 * time from navigation to the contract list rendered (its first data row visible) and to the dashboard
 * rendered (its sections filled), median of 10 each. The browser is signed in once; every run is a fresh
 * page load in the same context (assets cached as for a returning user; API answers are never cached).
 */
import type { Page } from 'playwright-core';
import { launchChromium, newPage, newUserContext } from '../test/e2e/support/browser.js';
import { signInAsDemo } from '../test/e2e/support/flows.js';
import { startE2eServer } from '../test/e2e/support/server.js';

const RUNS = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeTo(page: Page, path: string, rendered: (page: Page) => Promise<void>): Promise<number> {
  const start = performance.now();
  await page.goto(path, { waitUntil: 'commit' });
  await rendered(page);
  return performance.now() - start;
}

const contractListRendered = async (page: Page) => {
  await page.getByRole('table').first().getByRole('row').nth(1).waitFor();
};
// Rendered = the title is there and no section is still loading (each marks itself aria-busy until its data
// arrives), with the pending proposals listed. Not "network idle", which would add its own 500 ms of quiet.
const dashboardRendered = async (page: Page) => {
  await page.waitForFunction(
    () =>
      document.querySelector('h1') !== null &&
      document.querySelector('main section') !== null &&
      document.querySelector('[aria-busy="true"]') === null &&
      document.querySelector('main a[href^="/contracts/"]') !== null,
    undefined,
    { polling: 'raf' },
  );
};

const server = await startE2eServer({ demo: true });
const browser = await launchChromium();
try {
  const context = await newUserContext(browser, server.base);
  const page = await newPage(context);
  await signInAsDemo(page, server);

  const results: Record<string, number[]> = { 'contract list': [], dashboard: [] };
  for (let run = 0; run < RUNS + 1; run += 1) {
    const contracts = await timeTo(page, '/contracts', contractListRendered);
    const dashboard = await timeTo(page, '/', dashboardRendered);
    if (run === 0) continue; // warm-up: first compile of each chunk in this browser
    results['contract list']!.push(contracts);
    results.dashboard!.push(dashboard);
  }
  console.log(`navigation → rendered, demo company, Chromium headless, median of ${RUNS} (min–max):`);
  for (const [screen, times] of Object.entries(results)) {
    console.log(
      `  ${screen.padEnd(14)} ${median(times).toFixed(0).padStart(5)} ms  (${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms)`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
