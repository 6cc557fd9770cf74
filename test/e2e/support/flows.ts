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
  await waitForSignedInShell(page);
}

/** The Swiss national form of a +41 number as a person types it: "+41791234567" → "079 123 45 67". */
export function swissNationalNumber(e164: string): string {
  const digits = e164.replace(/^\+41/, '');
  return `0${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5, 7)} ${digits.slice(7)}`;
}

/**
 * Signs a company up through the screens: the form (picking Switzerland in the country list and typing the
 * national number), then the code from the (fake) phone; ends on the dashboard. The account's phone must be
 * Swiss (newAccount() gives one).
 */
export async function signUpViaUi(page: Page, server: E2eServer, account: Account) {
  await page.goto('/signup');
  await page.getByLabel('Company').fill(account.companyName);
  await page.getByLabel('Your name').fill(account.name);
  await page.getByLabel('E-mail').fill(account.email);
  await pickCountry(page, 'Switzerland (+41)');
  await page.getByLabel('Phone number').fill(swissNationalNumber(account.phone));
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  const before = codesSentTo(server, account.phone);
  await page.getByRole('button', { name: 'Sign up' }).click();
  const code = await server.codeFor(account.phone, before);
  await page.getByLabel('One-time code').fill(code);
  await page.getByRole('button', { name: 'Confirm code' }).click();
  await waitForSignedInShell(page);
}

/** Chooses a country in the phone number's country picker (a searchable list) by its visible name. */
export async function pickCountry(page: Page, option: string) {
  // The first match is the input; the open list is labelled by the same label.
  const country = page.getByLabel('Country', { exact: true }).first();
  await country.click();
  await country.fill(option.split(' (')[0]!);
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** The signed-in frame is there (its main navigation; the shell labels both the sidebar and its list). */
export async function waitForSignedInShell(page: Page) {
  await page.getByRole('navigation', { name: 'Main navigation' }).first().waitFor();
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
