import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, signUpViaApi, type Account } from './support/accounts.js';
import { expectAccessible, expectCleanPage, launchChromium, newPage, newUserContext, saveScreenshot } from './support/browser.js';
import { pickCountry, signInViaUi, swissNationalNumber, waitForSignedInShell } from './support/flows.js';
import { codesSentTo, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Issue 10, Team screens for masters: scenario 2 (invite a colleague, who accepts in a second browser; a contract
 * restricted to an access group is then invisible to the colleague) and scenario 3 (revoke with hand-over; the
 * colleague's open page is signed out on its next action), the audit trail, step-up in place, and axe + CSP on
 * every Team screen at 1280 px and 390 px.
 *
 * The vault screens (contract list, search, dashboard, holdings) are still placeholders on this branch, so
 * what the colleague can see is asked with the colleague's own browser session from the same endpoints those
 * screens call; the contract's visibility is set over the API with the master's browser session.
 */
async function heading(page: Page, name: string) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function enterCode(page: Page, server: E2eServer, phone: string, before: number) {
  await page.getByLabel('One-time code').fill(await server.codeFor(phone, before));
  await page.getByRole('button', { name: 'Confirm code' }).click();
}

/** The browser's own session (its cookies) calling the API, with the Origin a state-changing request needs. */
async function call(request: APIRequestContext, server: E2eServer, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) {
  const response = await request.fetch(`${server.base}${path}`, {
    method,
    headers: { origin: server.base, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status(), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function created(request: APIRequestContext, server: E2eServer, path: string, body: unknown): Promise<string> {
  const answer = await call(request, server, 'POST', path, body);
  expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(201);
  return answer.body.id as string;
}

function contractBody(vendorId: string, productId: string, title: string, quantity: number, extra: Record<string, unknown> = {}) {
  return {
    vendorId,
    title,
    startsOn: '2026-01-01',
    endsOn: '2027-12-31',
    noticePeriodDays: 90,
    currency: 'CHF',
    lineItems: [{ productId, quantity, listUnitPrice: '100.00' }],
    ...extra,
  };
}

/** Accepts an invitation link through the invitation screen: password, phone, code; ends signed in. */
async function acceptInvitation(page: Page, server: E2eServer, url: string, colleague: Account) {
  await page.goto(new URL(url).pathname);
  await heading(page, 'Join your team');
  await page.getByLabel('New password', { exact: true }).fill(colleague.password);
  await pickCountry(page, 'Switzerland (+41)');
  await page.getByLabel('Phone number').fill(swissNationalNumber(colleague.phone));
  const before = codesSentTo(server, colleague.phone);
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, 'Confirm your phone');
  await enterCode(page, server, colleague.phone, before);
  await waitForSignedInShell(page);
}

/** Invites through the Users screen and returns the link the dialog shows. */
async function inviteViaUi(page: Page, colleague: Account): Promise<string> {
  await page.getByRole('button', { name: 'Invite a colleague' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite a colleague' });
  await dialog.getByLabel('Name').fill(colleague.name);
  await dialog.getByLabel('E-mail').fill(colleague.email);
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  const link = dialog.getByLabel('Invitation link');
  await link.waitFor();
  return link.inputValue();
}

describe('Team screens for masters', () => {
  let server: E2eServer;
  let browser: Browser;
  const master = newAccount('master');
  const colleague = newAccount('colleague');
  let masterContext: BrowserContext;
  let colleagueContext: BrowserContext;
  let masterPage: Page;
  let colleaguePage: Page;
  let vendorId: string;
  let productId: string;

  beforeAll(async () => {
    // Load shedding is not under test here; on a busy two-core machine it would answer 503 to the scene's setup.
    // Scenario 2 asks for a new invitation link right after inviting; the default of one invitation mail per
    // address per 10 minutes would answer that with 429 (tested in test/tenancy/invitation-reissue.test.ts).
    const patient = {
      PACTUM_MAX_EVENT_LOOP_DELAY_MS: '0',
      PACTUM_TENANT_QUEUE_TIMEOUT_MS: '60000',
      PACTUM_INVITATION_RECIPIENT_LIMIT: '5',
    };
    [server, browser] = await Promise.all([startE2eServer({ env: patient }), launchChromium()]);
    await signUpViaApi(server, master);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('scenario 2: invites a colleague, who accepts in a second browser; a contract restricted to a group is invisible to them', async () => {
    masterContext = await newUserContext(browser, server.base);
    await masterContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    masterPage = await newPage(masterContext);
    await signInViaUi(masterPage, server, master, '/team');
    await heading(masterPage, 'Team');
    await masterPage.getByRole('region', { name: 'Guide for masters' }).getByRole('button', { name: 'Inviting a colleague' }).waitFor();

    // Invite: the dialog shows the link, which copies to the clipboard and is the one the e-mail carries.
    const url = await inviteViaUi(masterPage, colleague);
    expect(url).toMatch(new RegExp(`^${server.base}/invitations/`));
    const dialog = masterPage.getByRole('dialog', { name: 'Invite a colleague' });
    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await dialog.getByRole('button', { name: 'Link copied' }).waitFor();
    expect(await masterPage.evaluate(() => navigator.clipboard.readText())).toBe(url);
    expect(await server.linkMailedTo(colleague.email, '/invitations/')).toBe(url);
    await expectAccessible(masterPage, 'invite dialog with its link');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });
    const colleagueRow = masterPage.getByRole('row').filter({ hasText: colleague.email });
    await expect.poll(() => colleagueRow.textContent()).toContain('Invited');

    // A new link for the pending invitation replaces the first one.
    await colleagueRow.getByRole('button', { name: `Actions for ${colleague.name}` }).click();
    await masterPage.getByRole('menuitem', { name: 'New invitation link' }).click();
    const newLink = masterPage.getByRole('dialog', { name: `New invitation link for ${colleague.name}` });
    await newLink.getByRole('button', { name: 'Create new link' }).click();
    const fresh = await newLink.getByLabel('Invitation link').inputValue();
    expect(fresh).not.toBe(url);
    await newLink.getByRole('button', { name: 'Close' }).last().click();
    await newLink.waitFor({ state: 'detached' });

    // The colleague accepts in a browser of their own; the first link no longer works.
    colleagueContext = await newUserContext(browser, server.base);
    colleaguePage = await newPage(colleagueContext);
    await colleaguePage.goto(new URL(url).pathname);
    await colleaguePage.getByLabel('New password', { exact: true }).fill(colleague.password);
    await pickCountry(colleaguePage, 'Switzerland (+41)');
    await colleaguePage.getByLabel('Phone number').fill(swissNationalNumber(colleague.phone));
    await colleaguePage.getByRole('button', { name: 'Continue' }).click();
    await heading(colleaguePage, 'Invitation no longer valid');
    await acceptInvitation(colleaguePage, server, fresh, colleague);
    // A member is not offered the Team screens.
    expect(await colleaguePage.getByRole('link', { name: 'Team' }).count()).toBe(0);

    await masterPage.reload();
    await expect.poll(() => colleagueRow.textContent()).toContain('Active');
    await saveScreenshot(masterPage, 'team-users');

    // An access group "Legal", created on its screen; the master joins it. The server's step-up answer is
    // staged once (the master signed in minutes ago, so the real one would not come); the code and the
    // retried request are real.
    await masterPage.getByRole('link', { name: 'Access groups' }).click();
    await masterPage.getByText('No access groups yet').waitFor();
    await masterPage.getByRole('button', { name: 'Create access group' }).click();
    const createDialog = masterPage.getByRole('dialog', { name: 'Create access group' });
    await createDialog.getByLabel('Name').fill('Legal');
    await createDialog.getByLabel('Description (optional)').fill('Contracts with law firms');
    await createDialog.getByRole('button', { name: 'Create' }).click();
    await createDialog.waitFor({ state: 'detached' });
    // The same name again is refused next to the field.
    await masterPage.getByRole('button', { name: 'Create access group' }).click();
    await createDialog.getByLabel('Name').fill('legal');
    await createDialog.getByRole('button', { name: 'Create' }).click();
    await createDialog.getByText('An access group with this name exists already.').waitFor();
    await createDialog.getByRole('button', { name: 'Cancel' }).click();
    await createDialog.waitFor({ state: 'detached' });

    let refusals = 0;
    await masterPage.route('**/api/v1/groups/*/members/*', async (route) => {
      if (route.request().method() !== 'PUT' || refusals >= 1) return route.continue();
      refusals += 1;
      await route.fulfill({
        status: 403,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 403, code: 'reauthentication_required', title: 'Confirm it is you', detail: 'step-up' }),
      });
    });
    await masterPage.getByRole('button', { name: 'Members of Legal' }).click();
    const members = masterPage.getByRole('dialog', { name: 'Members of Legal' });
    await members.getByLabel('Add a member').selectOption({ label: `${master.name} (${master.email})` });
    const before = codesSentTo(server, master.phone);
    await members.getByRole('button', { name: 'Add', exact: true }).click();
    const stepUp = masterPage.getByRole('dialog', { name: "Confirm it's you" });
    await stepUp.waitFor();
    await expect
      .poll(() => stepUp.textContent())
      .toContain("Changing who belongs to an access group needs a fresh code to confirm it's you.");
    await expect.poll(() => stepUp.textContent()).toContain('We sent a one-time code by SMS to');
    await enterCode(masterPage, server, master.phone, before);
    await stepUp.waitFor({ state: 'detached' });
    await members.getByRole('button', { name: `Remove ${master.name}` }).waitFor();
    expect(refusals).toBe(1);
    await masterPage.unroute('**/api/v1/groups/*/members/*');
    await members.getByRole('button', { name: 'Close' }).last().click();
    await members.waitFor({ state: 'detached' });
    const legalRow = masterPage.getByRole('row').filter({ hasText: 'Contracts with law firms' });
    await expect.poll(() => legalRow.textContent()).toContain(master.name);

    // Two contracts for the same product: one for everyone, one the master restricts to Legal.
    const request = masterPage.request;
    vendorId = await created(request, server, '/api/v1/vendors', { name: 'Lex Software' });
    productId = await created(request, server, '/api/v1/products', { vendorId, name: 'Lex Case', metric: 'named_user', blockSize: 1 });
    const open = await created(request, server, '/api/v1/contracts', contractBody(vendorId, productId, 'Lex Case for everyone', 10));
    const secret = await created(request, server, '/api/v1/contracts', contractBody(vendorId, productId, 'Lex Case litigation seats', 5));
    const legal = (await call(request, server, 'GET', '/api/v1/groups')).body.items as Array<{ id: string; name: string }>;
    const legalId = legal.find((group) => group.name === 'Legal')!.id;
    const restricted = await call(request, server, 'PATCH', `/api/v1/contracts/${secret}`, { groupIds: [legalId] });
    expect(restricted.status, JSON.stringify(restricted.body)).toBe(200);
    // Deleting a group that restricts a contract is refused, and the dialog names the contract.
    await masterPage.getByRole('button', { name: 'Delete Legal' }).click();
    const deleteDialog = masterPage.getByRole('dialog', { name: 'Delete Legal?' });
    await deleteDialog.getByRole('button', { name: 'Delete access group' }).click();
    await deleteDialog.getByRole('link', { name: 'Lex Case litigation seats' }).waitFor();
    await saveScreenshot(masterPage, 'team-groups');
    await deleteDialog.getByRole('button', { name: 'Cancel' }).click();
    await deleteDialog.waitFor({ state: 'detached' });

    // The colleague, with their own browser session, finds the restricted contract nowhere.
    const seen = colleaguePage.request;
    const list = await call(seen, server, 'GET', '/api/v1/contracts?limit=500');
    const titles = (list.body.items as Array<{ title: string }>).map((contract) => contract.title);
    expect(titles).toEqual(['Lex Case for everyone']);
    const search = await call(seen, server, 'GET', '/api/v1/contracts?q=litigation');
    expect(search.body.items).toEqual([]);
    expect((await call(seen, server, 'GET', `/api/v1/contracts/${secret}`)).status).toBe(404);
    expect((await call(seen, server, 'GET', `/api/v1/contracts/${open}`)).status).toBe(200);
    const dashboard = await call(seen, server, 'GET', '/api/v1/dashboard');
    expect(dashboard.status).toBe(200);
    expect(JSON.stringify(dashboard.body)).not.toContain(secret);
    expect(JSON.stringify(dashboard.body)).not.toContain('litigation');
    const holdings = await call(seen, server, 'GET', `/api/v1/licenses?vendorId=${vendorId}`);
    const lexCase = (holdings.body.items as Array<{ product: { id: string } | string; quantity: number }>).find((item) =>
      JSON.stringify(item).includes(productId),
    );
    expect(lexCase?.quantity).toBe(10);
    expect(holdings.status).toBe(200);
    const deadlines = await call(seen, server, 'GET', '/api/v1/deadlines?withinDays=1000');
    expect(deadlines.status).toBe(200);
    expect(JSON.stringify(deadlines.body)).toContain(open);
    expect(JSON.stringify(deadlines.body)).not.toContain(secret);
    // The master sees both (a member of Legal), so the difference is the group's doing.
    const mastersList = await call(request, server, 'GET', '/api/v1/contracts?limit=500');
    expect((mastersList.body.items as unknown[]).length).toBe(2);

    // The audit trail shows the restriction, filtered by family, with the master as actor.
    await masterPage.getByRole('link', { name: 'Audit trail' }).click();
    const filters = masterPage.getByRole('search', { name: 'Filter the audit trail' });
    await filters.getByLabel('Action').selectOption({ label: 'Visibility changed' });
    await masterPage.waitForURL(/action=contract\.visibility_changed/);
    const trail = masterPage.getByRole('table', { name: 'Audit trail' });
    await expect.poll(() => trail.textContent()).toContain('Now restricted to: Legal');
    expect(await trail.getByRole('row').count()).toBe(2);
    await filters.getByLabel('Action').selectOption({ label: 'All: Access groups' });
    await filters.getByLabel('Person').selectOption({ label: master.name });
    await expect.poll(() => trail.textContent()).toContain('Member added');
    await expect.poll(() => trail.textContent()).toContain(`${master.name} · Legal`);
    expect(await trail.textContent()).toContain('Access group created');
    await masterPage.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => trail.getByRole('row').count()).toBeGreaterThan(8);
    await saveScreenshot(masterPage, 'team-audit');
    await expectCleanPage(masterPage);
    await expectCleanPage(colleaguePage);
  }, 600_000);

  it('scenario 3: revokes with a hand-over to a chosen successor; the colleague is signed out on the next action', async () => {
    // The colleague manages a contract the master can see, and made one restricted to a group only they are in.
    const masterRequest = masterPage.request;
    const board = await created(masterRequest, server, '/api/v1/groups', { name: 'Board' });
    const colleagueId = (
      (await call(masterRequest, server, 'GET', '/api/v1/users')).body.items as Array<{ id: string; email: string }>
    ).find((user) => user.email === colleague.email)!.id;
    expect((await call(masterRequest, server, 'GET', `/api/v1/groups/${board}`)).status).toBe(200);
    const joined = await masterRequest.fetch(`${server.base}/api/v1/groups/${board}/members/${colleagueId}`, {
      method: 'PUT',
      headers: { origin: server.base },
    });
    expect(joined.status()).toBe(204);
    const colleagueRequest = colleaguePage.request;
    await created(colleagueRequest, server, '/api/v1/contracts', contractBody(vendorId, productId, 'Lex Case training', 3));
    await created(
      colleagueRequest,
      server,
      '/api/v1/contracts',
      contractBody(vendorId, productId, 'Board minutes archive', 1, { groupIds: [board] }),
    );
    await colleaguePage.goto('/');
    await waitForSignedInShell(colleaguePage);

    await masterPage.goto('/team');
    await heading(masterPage, 'Team');
    const row = masterPage.getByRole('row').filter({ hasText: colleague.email });
    await row.getByRole('button', { name: `Actions for ${colleague.name}` }).click();
    await masterPage.getByRole('menuitem', { name: 'Revoke access' }).click();
    const dialog = masterPage.getByRole('dialog', { name: `Revoke access for ${colleague.name}` });
    await dialog.getByRole('button', { name: 'Revoke access' }).click();

    // The server asks for a hand-over: the contract the master sees by title, the other one counted.
    const handover = dialog.getByRole('group', { name: 'Someone must take over first' });
    await handover.waitFor();
    await handover.getByRole('link', { name: 'Lex Case training' }).waitFor();
    expect(await handover.textContent()).toContain('and 1 contract you cannot see.');
    expect(await handover.textContent()).not.toContain('Board minutes archive');
    await dialog.getByRole('button', { name: 'Hand over and revoke access' }).click();
    await dialog.getByText('Choose who takes over the contracts.').waitFor();
    await handover.getByLabel('Successor').selectOption({ label: `${master.name} (${master.email})` });
    await expectAccessible(masterPage, 'revoke dialog asking for a successor');
    await saveScreenshot(masterPage, 'team-revoke');
    await dialog.getByRole('button', { name: 'Hand over and revoke access' }).click();
    const done = dialog.getByRole('status');
    await expect.poll(() => done.textContent()).toContain(`The access of ${colleague.name} was revoked.`);
    expect(await done.textContent()).toContain(`2 contracts were handed over to ${master.name}.`);
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await dialog.waitFor({ state: 'detached' });
    expect(await masterPage.getByRole('row').filter({ hasText: colleague.email }).count()).toBe(0);
    await masterPage.getByLabel('Show 1 user whose access was revoked').check();
    await expect.poll(() => masterPage.getByRole('row').filter({ hasText: colleague.email }).textContent()).toContain('Access revoked');

    // The successor now sees what only the colleague could see (joined Board in the same step).
    const afterwards = await call(masterRequest, server, 'GET', '/api/v1/contracts?q=Board');
    expect((afterwards.body.items as Array<{ title: string }>).map((contract) => contract.title)).toEqual(['Board minutes archive']);

    // The colleague's open page: the next action lands on sign-in with the reason, showing no data.
    await colleaguePage.getByRole('link', { name: 'My account' }).click();
    await heading(colleaguePage, 'Sign in');
    await expect.poll(() => colleaguePage.getByRole('status').first().textContent()).toContain('Your session has ended');
    expect(await colleaguePage.getByText(colleague.email).count()).toBe(0);
    await expectCleanPage(masterPage);
    await expectCleanPage(colleaguePage);
    await masterContext.close();
    await colleagueContext.close();
  }, 600_000);

  it('every Team screen is clean and accessible at 1280 px and at 390 px; last_master is explained', async () => {
    for (const [width, height] of [
      [1280, 860],
      [390, 844],
    ] as const) {
      const context = await newUserContext(browser, server.base, { width, height });
      const page = await newPage(context);
      await signInViaUi(page, server, master, '/team');
      for (const [path, title] of [
        ['/team', 'Team'],
        ['/team/groups', 'Team'],
        ['/team/audit', 'Team'],
      ] as const) {
        await page.goto(path);
        await heading(page, title);
        await page.waitForLoadState('networkidle');
        await page.getByRole('table').first().waitFor();
        await expectAccessible(page, `${path} at ${width} px`);
      }
      // The guide closes and stays closed; open, its topics are headings of an accordion.
      await page.getByRole('button', { name: 'Hide guide' }).click();
      await page.reload();
      await page.getByRole('button', { name: 'Show guide' }).waitFor();
      await page.getByRole('button', { name: 'Show guide' }).click();
      await page.getByRole('button', { name: 'Hide guide' }).waitFor();
      await page.getByRole('button', { name: 'Revoking access, with a hand-over' }).click();
      await page.getByText('Pick a successor among the active users').waitFor();
      await expectAccessible(page, `guide at ${width} px`);

      if (width === 1280) {
        // The only master cannot step down: the dialog says what to do instead.
        await page.goto('/team');
        const row = page.getByRole('row').filter({ hasText: master.email });
        await row.getByRole('button', { name: `Actions for ${master.name}` }).click();
        await page.getByRole('menuitem', { name: 'Change role' }).click();
        const dialog = page.getByRole('dialog', { name: `Role of ${master.name}` });
        await dialog.getByLabel('Role').selectOption({ label: 'Member' });
        await dialog.getByRole('button', { name: 'Change role' }).click();
        await expect.poll(() => dialog.getByRole('alert').textContent()).toContain(`${master.name} is the only master.`);
        await expectAccessible(page, 'role dialog');
      }
      await expectCleanPage(page);
      await context.close();
    }
  }, 600_000);
});
