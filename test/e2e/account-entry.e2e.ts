import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, signUpViaApi } from './support/accounts.js';
import { signInViaApi } from './support/api-session.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { waitForSignedInShell, pickCountry, signUpViaUi, swissNationalNumber } from './support/flows.js';
import { codesSentTo, startE2eServer, type E2eServer } from './support/server.js';

const NEW_PASSWORD = 'maple orbit lantern quietly 77';

async function heading(page: Page, name: string) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function enterCode(page: Page, server: E2eServer, phone: string, before: number) {
  const code = await server.codeFor(phone, before);
  await page.getByLabel('One-time code').fill(code);
  await page.getByRole('button', { name: 'Confirm code' }).click();
}

/** What the focused element is called, as a screen reader would name it (its label, else its text). */
function focusedName(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLInputElement | null;
    return element?.labels?.[0]?.textContent?.trim() ?? element?.getAttribute('aria-label') ?? element?.textContent?.trim() ?? '';
  });
}

describe('account entry screens: sign-up, invitation, password reset, keyboard-only sign-in', () => {
  let server: E2eServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs a company up: live password feedback, the country picker, the E.164 number, then the code', async () => {
    const account = newAccount('founder');
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/signup');
    await heading(page, 'Sign up');
    await expectAccessible(page, 'sign-up');

    const password = page.getByLabel('Password', { exact: true });
    await password.fill('short');
    await expect.poll(() => page.getByText('Use at least 12 characters.').count()).toBe(1);
    await password.fill('aaaaaaaaaaaaaaaa');
    await expect.poll(() => page.getByText('This password is too easy to guess').count()).toBe(1);
    await page.getByLabel('Company').fill(account.companyName);
    await page.getByLabel('Your name').fill(account.name);
    await page.getByLabel('E-mail').fill(account.email);
    await password.fill(`${account.email} forever`);
    await expect.poll(() => page.getByText("Don't use your name, e-mail address or company name").count()).toBe(1);
    await password.fill(account.password);
    await expect.poll(() => page.getByText('Strong enough.').count()).toBe(1);

    await pickCountry(page, 'Switzerland (+41)');
    await page.getByLabel('Phone number').fill('0900 123 456');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByText('This kind of number cannot receive codes').count()).toBe(1);
    await page.getByLabel('Phone number').fill(swissNationalNumber(account.phone));
    const international = `+41 ${account.phone.slice(3, 5)} ${account.phone.slice(5, 8)} ${account.phone.slice(8, 10)} ${account.phone.slice(10)}`;
    await expect.poll(() => page.getByText(`Codes will go to ${international}.`).count()).toBe(1);
    await saveScreenshot(page, 'sign-up');

    const before = codesSentTo(server, account.phone);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await heading(page, 'Confirm your phone');
    await expect.poll(() => page.getByText(/We sent a one-time code by SMS to \+41 •• ••• •• \d\d\./).count()).toBe(1);
    await expectAccessible(page, 'sign-up code');
    await enterCode(page, server, account.phone, before);
    await waitForSignedInShell(page);
    await expectCleanPage(page);
    await context.close();
  });

  it('answers a sign-up with a registered e-mail exactly like a new one: on to the code step, nothing else', async () => {
    const existing = newAccount('taken');
    await signUpViaApi(server, existing);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/signup');
    await page.getByLabel('Company').fill('Another AG');
    await page.getByLabel('Your name').fill('Someone Else');
    await page.getByLabel('E-mail').fill(existing.email);
    await pickCountry(page, 'Switzerland (+41)');
    await page.getByLabel('Phone number').fill(swissNationalNumber(newAccount().phone));
    await page.getByLabel('Password', { exact: true }).fill(existing.password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await heading(page, 'Confirm your phone');
    await expect.poll(() => page.getByText(/We sent a one-time code by SMS to/).count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectCleanPage(page);
    await context.close();
  });

  it('signUpViaUi goes from the form to the dashboard', async () => {
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await signUpViaUi(page, server, newAccount('helper'));
    expect(await page.getByRole('link', { name: 'Contracts' }).count()).toBe(1);
    await context.close();
  });

  it('accepts an invitation a master created over the API: password and phone, code, signed in; the used link says so', async () => {
    const master = newAccount('master');
    await signUpViaApi(server, master);
    const session = await signInViaApi(server, master);
    const colleague = newAccount('colleague');
    const invited = await session.post('/api/v1/users', { name: colleague.name, email: colleague.email });
    expect(invited.status).toBe(201);
    const { invitation } = (await invited.json()) as { invitation: { url: string } };
    const path = new URL(invitation.url).pathname;

    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto(path);
    await heading(page, 'Join your team');
    await expectAccessible(page, 'accept invitation');
    await page.getByLabel('New password', { exact: true }).fill(colleague.password);
    await pickCountry(page, 'Switzerland (+41)');
    await page.getByLabel('Phone number').fill(swissNationalNumber(colleague.phone));
    const before = codesSentTo(server, colleague.phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Confirm your phone');
    await enterCode(page, server, colleague.phone, before);
    await waitForSignedInShell(page);
    expect(await page.getByText(colleague.name).count()).toBeGreaterThan(0);
    await expectCleanPage(page);
    await context.close();

    const again = await newUserContext(browser, server.base);
    const second = await newPage(again);
    await second.goto(path);
    await second.getByLabel('New password', { exact: true }).fill(colleague.password);
    await pickCountry(second, 'Switzerland (+41)');
    await second.getByLabel('Phone number').fill(swissNationalNumber(newAccount().phone));
    await second.getByRole('button', { name: 'Continue' }).click();
    await heading(second, 'Invitation no longer valid');
    await expect.poll(() => second.getByRole('alert').textContent()).toContain('Ask the person who invited you for a new one');
    await expectAccessible(second, 'invitation expired');
    await expectCleanPage(second);
    await again.close();
  });

  it('resets a password through the mailed link and the phone code; the used link says what to do', async () => {
    const account = newAccount('forgetful');
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await heading(page, 'Reset password');
    await expectAccessible(page, 'password reset request');
    await page.getByLabel('E-mail').fill(account.email);
    await page.getByRole('button', { name: 'Send link' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`If an account exists for ${account.email}`);

    const link = await server.linkMailedTo(account.email, '/password-reset/');
    await page.goto(new URL(link).pathname);
    await heading(page, 'Choose a new password');
    await expectAccessible(page, 'new password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await expect.poll(() => page.getByText('Strong enough.').count()).toBe(1);
    const before = codesSentTo(server, account.phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, "Confirm it's you");
    await enterCode(page, server, account.phone, before);
    await waitForSignedInShell(page);
    await expectCleanPage(page);

    await page.goto(new URL(link).pathname);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Link no longer valid');
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    await expectCleanPage(page);
    await context.close();
  });

  it('signs in with the keyboard alone: Tab, typing and Enter, no clicks (issue scenario 4)', async () => {
    const account = newAccount('keyboard');
    await signUpViaApi(server, account);
    const context = await newUserContext(browser, server.base);
    const page = await newPage(context);
    await page.goto('/');
    await heading(page, 'Sign in');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('E-mail');
    await page.keyboard.type(account.email);
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Password');
    await page.keyboard.type(account.password);
    const before = codesSentTo(server, account.phone);
    await page.keyboard.press('Enter');
    const code = await server.codeFor(account.phone, before);
    await expect.poll(() => focusedName(page)).toBe('One-time code');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await waitForSignedInShell(page);
    await expectCleanPage(page);
    await context.close();
  });

  it.each([1280, 390])(
    'shows every screen before sign-in at %i px without CSP, error or axe violations',
    async (width) => {
      const context = await newUserContext(browser, server.base, { width, height: width === 390 ? 844 : 860 });
      const page = await newPage(context);
      const screens: Array<[string, string]> = [
        ['/', 'Sign in'],
        ['/signup', 'Sign up'],
        ['/password-reset', 'Reset password'],
        ['/password-reset/not-a-real-token', 'Choose a new password'],
        ['/invitations/not-a-real-token', 'Join your team'],
      ];
      for (const [path, title] of screens) {
        await page.goto(path);
        await heading(page, title);
        await expectAccessible(page, `${path} at ${width} px`);
        if (path === '/' && width === 1280) await saveScreenshot(page, 'sign-in');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal scrolling on ${path} at ${width} px`).toBeLessThanOrEqual(0);
        await expectCleanPage(page);
      }
      await context.close();
    },
    300_000,
  ); // five screens, each with axe, on a busy two-core machine
});
