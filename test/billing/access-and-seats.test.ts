import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_WHILE_READ_ONLY } from '../../src/billing/access-gate.js';
import { createSeatSync } from '../../src/billing/seat-sync.js';
import { createStripeGateway } from '../../src/billing/stripe-gateway.js';
import { stripeEvent } from '../fakes/fake-stripe.js';
import { login, registerCompany, type Client, type Registered } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { acceptInvite, invite } from '../tenancy/helpers.js';
import { postEvent, quantitySentToStripe, startBillingApp, stripeQuantity, subscribe, type BillingTestApp } from './helpers.js';

describe(`billing: access by subscription state (${engineName})`, () => {
  let b: BillingTestApp;
  beforeAll(async () => {
    b = await startBillingApp();
  });
  afterAll(() => b.close());

  const addVendor = (client: Client, name: string) => client.post('/api/v1/vendors', { name });

  it('names only routes that exist in its read-only allowlist', () => {
    for (const { method, url } of ALLOWED_WHILE_READ_ONLY) expect(b.t.app.hasRoute({ method, url }), `${method} ${url}`).toBe(true);
  });

  it('payment failure → 14 days of full access with a banner → read-only, where reading, billing and security still work', async () => {
    const company = await registerCompany(b.t);
    const subscription = await subscribe(b, company.client);
    expect((await addVendor(company.client, 'Before Failure')).statusCode).toBe(201);

    const failed = await postEvent(b.t, stripeEvent('invoice.payment_failed', b.stripe.invoice(subscription.id, 'open')));
    expect(failed.statusCode).toBe(200);
    const grace = (await company.client.get('/api/v1/billing')).json();
    expect(grace).toMatchObject({ status: 'past_due', access: 'full', banner: 'payment_failed' });
    const graceDays = (Date.parse(grace.graceEndsAt) - Date.now()) / 86_400_000;
    expect(graceDays).toBeGreaterThan(13.9);
    expect(graceDays).toBeLessThanOrEqual(14);
    expect((await company.client.get('/api/v1/me')).json().tenant.billing).toMatchObject({ banner: 'payment_failed', access: 'full' });
    expect((await addVendor(company.client, 'During Grace')).statusCode).toBe(201);

    // Fifteen days later (the failure moved back in time; nothing else changes).
    await b.t.db.asOwner("UPDATE billing_accounts SET past_due_since = past_due_since - interval '15 days' WHERE tenant_id = $1", [
      company.tenantId,
    ]);
    const refused = await addVendor(company.client, 'After Grace');
    expect(refused.statusCode).toBe(402);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'subscription_inactive', billingStatus: 'past_due' });
    const vendors = await company.client.get('/api/v1/vendors');
    expect(vendors.statusCode).toBe(200);
    expect(
      vendors
        .json()
        .items.map((vendor: { name: string }) => vendor.name)
        .sort(),
    ).toEqual(['Before Failure', 'During Grace']);
    expect((await company.client.get('/api/v1/contracts')).statusCode).toBe(200);
    expect((await company.client.get('/api/v1/audit-events')).statusCode).toBe(200);
    // Read-only still exports: a GET passes the gate like every read (signed in minutes ago, so no step-up).
    expect((await company.client.get('/api/v1/export.xlsx')).headers['content-type']).toContain('spreadsheetml');
    expect((await company.client.get('/api/v1/billing')).json()).toMatchObject({ access: 'read_only', banner: 'read_only' });
    expect((await company.client.post('/api/v1/billing/portal')).statusCode).toBe(200);
    expect((await company.client.get('/api/v1/sessions')).statusCode).toBe(200);
    const loggedOut = await company.client.post('/api/v1/auth/logout');
    expect(loggedOut.statusCode).toBe(204);
    const again = await login(b.t, company);
    expect((await again.get('/api/v1/me')).json().tenant.billing).toMatchObject({ status: 'past_due', access: 'read_only' });

    // Paying again (in the portal) lifts it at once.
    const paid = await postEvent(b.t, stripeEvent('invoice.paid', b.stripe.invoice(subscription.id, 'paid')));
    expect(paid.statusCode).toBe(200);
    expect((await again.get('/api/v1/billing')).json()).toMatchObject({
      status: 'active',
      access: 'full',
      banner: null,
      graceEndsAt: null,
    });
    expect((await addVendor(again, 'After Payment')).statusCode).toBe(201);
  });

  it('a cancelled subscription is read-only at once; account security still works', async () => {
    const company = await registerCompany(b.t);
    const subscription = await subscribe(b, company.client);
    const deleted = stripeEvent('customer.subscription.deleted', b.stripe.subscriptionSnapshot(subscription.id, { status: 'canceled' }));
    expect((await postEvent(b.t, deleted)).statusCode).toBe(200);
    expect((await company.client.get('/api/v1/billing')).json()).toMatchObject({ status: 'cancelled', access: 'read_only' });
    expect((await addVendor(company.client, 'Cancelled')).statusCode).toBe(402);
    const password = await company.client.post('/api/v1/auth/password', {
      currentPassword: company.password,
      newPassword: 'another long passphrase for the vault 77',
    });
    expect(password.statusCode, password.body).toBe(204);
    // Resubscribing is billing itself, allowed while read-only.
    const checkout = await company.client.post('/api/v1/billing/checkout');
    expect(checkout.statusCode, checkout.body).toBe(200);
  });

  it('a trial that ended without a subscription is expired and read-only', async () => {
    const company = await registerCompany(b.t);
    await b.t.db.asOwner("UPDATE tenants SET created_at = now() - interval '31 days' WHERE id = $1", [company.tenantId]);
    expect((await company.client.get('/api/v1/billing')).json()).toMatchObject({ plan: 'trial', status: 'expired', access: 'read_only' });
    const refused = await addVendor(company.client, 'Too Late');
    expect(refused.statusCode).toBe(402);
    expect(refused.json().billingStatus).toBe('expired');
    expect((await company.client.post('/api/v1/billing/checkout')).statusCode).toBe(200);
  });
});

describe(`billing: seats follow the active users (${engineName})`, () => {
  let b: BillingTestApp;
  let company: Registered;
  let subscriptionId: string;
  beforeAll(async () => {
    b = await startBillingApp();
    company = await registerCompany(b.t);
    subscriptionId = (await subscribe(b, company.client)).id;
  });
  afterAll(() => b.close());

  it('an invitation accepted raises the quantity at Stripe; a revocation lowers it', async () => {
    const invited = await invite(company.client);
    // A pending invitee is no seat.
    expect((await company.client.get('/api/v1/billing')).json().seats).toBe(1);
    const joined = await acceptInvite(b.t, invited);
    await quantitySentToStripe(b.stripe, subscriptionId, 2);
    expect(stripeQuantity(b.stripe, subscriptionId)).toBe(2);

    const revoked = await company.client.post(`/api/v1/users/${joined.userId}/revoke`, {});
    expect(revoked.statusCode, revoked.body).toBe(200);
    await quantitySentToStripe(b.stripe, subscriptionId, 1);
    expect(stripeQuantity(b.stripe, subscriptionId)).toBe(1);

    // The sync records its audit row once Stripe has answered: poll rather than race that last write.
    const synced = async () =>
      (
        await b.t.db.asOwner<{ details: { from: number; to: number } }>(
          "SELECT details FROM audit_events WHERE tenant_id = $1 AND action = 'billing.seats_synced' ORDER BY seq",
          [company.tenantId],
        )
      ).map((row) => [row.details.from, row.details.to]);
    await expect.poll(synced, { timeout: 5_000 }).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('a sync Stripe refuses is recorded and retried later, and then reaches Stripe', async () => {
    const invited = await invite(company.client);
    // The client retries twice itself; three failures make the sync fail.
    for (let i = 0; i < 3; i += 1) b.stripe.failNext(500);
    await acceptInvite(b.t, invited);
    const deadline = Date.now() + 5000;
    let row: { seat_sync_failures: number; seat_sync_last_error: string | null } | undefined;
    while (Date.now() < deadline) {
      [row] = await b.t.db.asOwner<{ seat_sync_failures: number; seat_sync_last_error: string | null }>(
        'SELECT seat_sync_failures, seat_sync_last_error FROM billing_accounts WHERE tenant_id = $1',
        [company.tenantId],
      );
      if (row!.seat_sync_failures > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(row).toMatchObject({ seat_sync_failures: 1, seat_sync_last_error: 'StripeAPIError' });
    expect(stripeQuantity(b.stripe, subscriptionId)).toBe(1);

    // The retry is due (its wait moved back); the minute's scheduled run picks it up.
    await b.t.db.asOwner('UPDATE billing_accounts SET seat_sync_next_at = now() WHERE tenant_id = $1', [company.tenantId]);
    const job = createSeatSync({ kysely: b.t.db.database.kysely, stripe: createStripeGateway(b.t.config.billing!), logger: b.t.app.log });
    expect(await job.runOnce()).toEqual({ synced: 1, failed: 0 });
    expect(stripeQuantity(b.stripe, subscriptionId)).toBe(2);
    const [after] = await b.t.db.asOwner<{ pending: boolean; seat_sync_failures: number }>(
      'SELECT seat_version > synced_seat_version AS pending, seat_sync_failures FROM billing_accounts WHERE tenant_id = $1',
      [company.tenantId],
    );
    expect(after).toEqual({ pending: false, seat_sync_failures: 0 });
  });
});
