import { DEMO_EMAIL, DEMO_PHONE } from '../../../src/demo.js';
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
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
}

/** The password `serve --demo` printed for the demo company's master. */
export function demoPassword(server: E2eServer): string {
  const password = /password:\s+(\S+)/.exec(server.pactum.output())?.[1];
  if (!password) throw new Error('the demo password was not printed (start the server with { demo: true })');
  return password;
}

/** Signs in as the demo company's master (`startE2eServer({ demo: true })`). */
export async function signInAsDemo(page: Page, server: E2eServer) {
  await signInViaUi(page, server, {
    email: DEMO_EMAIL,
    password: demoPassword(server),
    phone: DEMO_PHONE,
    name: 'Dana Demo',
    companyName: 'Demo',
  });
}
