import type { Page } from 'playwright-core';
import type { Account } from './accounts.js';
import { codesSentTo, type E2eServer } from './server.js';

/** Signs in through the screens, reading the code from the (fake) phone as a person would. */
export async function signInViaUi(page: Page, server: E2eServer, account: Account, path = '/') {
  await page.goto(path);
  const before = codesSentTo(server, account.phone);
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const code = await server.codeFor(account.phone, before);
  await page.getByLabel('One-time code').fill(code);
  await page.getByRole('button', { name: 'Confirm code' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).first().waitFor();
}
