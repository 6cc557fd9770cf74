import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, signUpViaApi } from './support/accounts.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext } from './support/browser.js';
import { signInViaUi } from './support/flows.js';
import { startE2eServer, type E2eServer } from './support/server.js';

describe('signing in', () => {
  let server: E2eServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('takes the password, then the code sent by SMS, and lands on the dashboard without CSP violations', async () => {
    const account = newAccount();
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/');
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Sign in' }).count()).toBe(1);
    await expectAccessible(page, 'sign-in');
    await signInViaUi(page, server, account);
    await expect.poll(() => page.getByRole('link', { name: 'Contracts' }).count()).toBe(1);
    await expectCleanPage(page);
    await context.close();
  });

  it('shows a wrong password as a message next to the form, in words', async () => {
    const account = newAccount();
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/');
    await page.getByLabel('E-mail').fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill('not the password at all 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('e-mail address or password is wrong');
    await expectCleanPage(page);
    await context.close();
  });
});
