import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../fakes/fake-stripe.js';
import { newAccount, signUpViaApi } from './support/accounts.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { signInViaUi } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

const STRIPE = {
  secretKey: 'sk_test_pactum0billing0fake0key0000',
  webhookSecret: 'whsec_pactumBillingTestSecret000000',
  priceId: 'price_pactumSeatMonthly',
};

/**
 * Billing (/billing) for a new company's master, with billing on against the fake Stripe: the trial and
 * its end date, and "Start subscription" sending the browser to the hosted Checkout URL Stripe returned.
 */
describe('Billing', () => {
  let stripe: FakeStripe;
  let server: E2eServer;
  let browser: Browser;
  const account = newAccount('billing');
  beforeAll(async () => {
    stripe = await startFakeStripe({ secretKey: STRIPE.secretKey, priceId: STRIPE.priceId });
    [server, browser] = await Promise.all([
      startE2eServer({
        env: {
          STRIPE_SECRET_KEY: STRIPE.secretKey,
          STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
          STRIPE_PRICE_ID: STRIPE.priceId,
          PACTUM_STRIPE_API_URL: stripe.url,
        },
      }),
      launchChromium(),
    ]);
    await signUpViaApi(server, account);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await stripe?.close();
  });

  it('shows the trial and sends the master to the hosted checkout page', async () => {
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await signInViaUi(page, server, account);
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await page.getByRole('rowheader', { name: 'Trial ends' }).waitFor();
    assert.match(await page.getByRole('row', { name: /Plan/ }).innerText(), /Free trial/);
    assert.match(await page.getByRole('row', { name: /Seats/ }).innerText(), /1 seat/);
    await saveScreenshot(page, 'billing');
    // Stripe's hosted page is not reachable from here: answer it locally and check where the browser went.
    await context.route('https://checkout.stripe.com/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Checkout</title><h1>Fake Checkout</h1>' }),
    );
    await page.getByRole('button', { name: 'Start subscription' }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\//);
    assert.ok(
      stripe.requests.some((request) => request.path === '/v1/checkout/sessions'),
      'a Checkout session was created at Stripe',
    );
    await context.close();
  });

  it('?checkout=cancelled says so', async () => {
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await signInViaUi(page, server, account, '/billing?checkout=cancelled');
    await page.getByText('Checkout was cancelled; nothing was charged.', { exact: false }).waitFor();
    await context.close();
  });

  for (const [width, height] of [
    [1280, 860],
    [390, 844],
  ] as const) {
    it(`is clean and accessible at ${width} px`, async () => {
      const context: BrowserContext = await newUserContext(browser, server.base, { width, height });
      const page = await newPage(context);
      await signInViaUi(page, server, account, '/billing');
      await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
      await page.getByRole('rowheader', { name: 'Trial ends' }).waitFor();
      await expectCleanPage(page);
      await expectAccessible(page, `billing (${width} px)`);
      await context.close();
    });
  }
});
