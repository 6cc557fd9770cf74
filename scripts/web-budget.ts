/**
 * The sign-in screen's JavaScript budget (issue 10): at most 250 KB gzip. Measured as a user's browser
 * meets it — Debian's Chromium opens `/` on the built server and every script the page loads until the
 * sign-in form is ready is counted at its gzip size (the size it travels at behind any compressing proxy).
 * Exits 1 above the budget. Run by .ci/run after the build: `npm run check:web-budget`.
 */
import { gzipSync } from 'node:zlib';
import { launchChromium, newPage, newUserContext } from '../test/e2e/support/browser.js';
import { startE2eServer } from '../test/e2e/support/server.js';

const BUDGET_BYTES = 250 * 1000;

const server = await startE2eServer();
const browser = await launchChromium();
try {
  const context = await newUserContext(browser, server.base);
  const page = await newPage(context);
  const scripts = new Map<string, Promise<number>>();
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script') return;
    scripts.set(
      new URL(response.url()).pathname,
      response.body().then((body) => gzipSync(body, { level: 9 }).length),
    );
  });
  await page.goto('/', { waitUntil: 'networkidle' });
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const sizes = await Promise.all([...scripts].map(async ([path, size]) => [path, await size] as const));
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  for (const [path, size] of sizes.sort((a, b) => b[1] - a[1])) console.log(`${(size / 1000).toFixed(1).padStart(8)} KB  ${path}`);
  console.log(
    `${(total / 1000).toFixed(1).padStart(8)} KB  total gzip JavaScript on the sign-in screen (budget ${BUDGET_BYTES / 1000} KB)`,
  );
  if (total > BUDGET_BYTES) {
    console.error(`over budget by ${((total - BUDGET_BYTES) / 1000).toFixed(1)} KB`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  await server.stop();
}
