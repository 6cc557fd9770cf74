import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeEvent } from '../fakes/fake-stripe.js';
import { addMember } from '../helpers/members.js';
import { Client, registerCompany, startTestApp, type Registered } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { postEvent, seconds, startBillingApp, STRIPE, subscribe, type BillingTestApp } from './helpers.js';

const billingOf = async (client: Client) => {
  const response = await client.get('/api/v1/billing');
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

describe(`billing: Checkout, portal and signed webhooks against a fake Stripe (${engineName})`, () => {
  let b: BillingTestApp;
  beforeAll(async () => {
    b = await startBillingApp();
  });
  afterAll(() => b.close());

  it('starts on the 30-day trial with full access, and /me says so', async () => {
    const company = await registerCompany(b.t);
    const billing = await billingOf(company.client);
    expect(billing).toMatchObject({ plan: 'trial', status: 'trial', seats: 1, access: 'full', banner: null, portalAvailable: false });
    const trialDays = (Date.parse(billing.trialEndsAt) - Date.now()) / 86_400_000;
    expect(trialDays).toBeGreaterThan(29.9);
    expect(trialDays).toBeLessThanOrEqual(30);
    const me = (await company.client.get('/api/v1/me')).json();
    expect(me.tenant.billing).toMatchObject({ enabled: true, status: 'trial', access: 'full', banner: null });
  });

  it("checkout answers the fake's hosted Checkout URL, created by the real client with Bearer auth and form fields", async () => {
    const company = await registerCompany(b.t, { companyName: 'Initech Licensing' });
    const before = b.stripe.requests.length;
    const response = await company.client.post('/api/v1/billing/checkout');
    expect(response.statusCode, response.body).toBe(200);
    const { url } = response.json();
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_[0-9a-f]{32}$/);
    const sessionId = url.split('/').pop();
    expect(b.stripe.checkoutSessions.get(sessionId)).toMatchObject({ mode: 'subscription', client_reference_id: company.tenantId });

    const sent = b.stripe.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      'POST /v1/customers 200',
      'POST /v1/checkout/sessions 200',
    ]);
    expect(sent[0]!.form).toMatchObject({
      name: 'Initech Licensing',
      email: company.email,
      metadata: { pactum_tenant_id: company.tenantId },
    });
    expect(sent[1]!.form).toMatchObject({
      mode: 'subscription',
      line_items: [{ price: STRIPE.priceId, quantity: '1' }],
      success_url: 'http://localhost:3000/billing?checkout=success',
      cancel_url: 'http://localhost:3000/billing?checkout=cancelled',
    });

    // A second checkout reuses the customer.
    const again = await company.client.post('/api/v1/billing/checkout');
    expect(again.statusCode).toBe(200);
    expect(b.stripe.requests.slice(before + 2).map((request) => request.path)).toEqual(['/v1/checkout/sessions']);
    expect(b.stripe.customers.size).toBeGreaterThan(0);

    const audit = await b.t.db.asOwner<{ action: string }>(
      "SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'billing.%' ORDER BY seq",
      [company.tenantId],
    );
    expect(audit.map((row) => row.action)).toEqual(['billing.customer_created', 'billing.checkout_started', 'billing.checkout_started']);
  });

  it("the portal answers the fake's hosted portal URL once a customer exists, and 409 before", async () => {
    const company = await registerCompany(b.t);
    const early = await company.client.post('/api/v1/billing/portal');
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('invalid_transition');
    await subscribe(b, company.client);
    const response = await company.client.post('/api/v1/billing/portal');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\/test_[0-9a-f]{32}$/);
    const portalRequest = b.stripe.requests.filter((request) => request.path === '/v1/billing_portal/sessions').pop()!;
    expect(portalRequest.form).toMatchObject({ return_url: 'http://localhost:3000/billing' });
    expect(b.stripe.customers.has(portalRequest.form.customer as string)).toBe(true);
  });

  it('refuses members (403 forbidden, as for every master-only route) and anonymous callers (401)', async () => {
    const company = await registerCompany(b.t);
    const member = await addMember(b.t, company);
    for (const [method, url] of [
      ['GET', '/api/v1/billing'],
      ['POST', '/api/v1/billing/checkout'],
      ['POST', '/api/v1/billing/portal'],
    ] as const) {
      const refused = await member.client.request({ method, url });
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json().code).toBe('forbidden');
      const anonymous = await new Client(b.t).request({ method, url });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
    }
    // Members still learn from /me why the company is where it is.
    expect((await member.client.get('/api/v1/me')).json().tenant.billing).toMatchObject({ enabled: true, status: 'trial' });
  });

  it('a checkout completed at Stripe makes the subscription active with its seats and period', async () => {
    const company = await registerCompany(b.t);
    const subscription = await subscribe(b, company.client);
    const billing = await billingOf(company.client);
    const item = (subscription.items as { data: Array<{ current_period_end: number }> }).data[0]!;
    expect(billing).toMatchObject({
      plan: 'subscription',
      status: 'active',
      seats: 1,
      subscribedSeats: 1,
      access: 'full',
      banner: null,
      portalAvailable: true,
      currentPeriodEnd: new Date(item.current_period_end * 1000).toISOString(),
    });
    const again = await company.client.post('/api/v1/billing/checkout');
    expect(again.statusCode).toBe(409);
  });

  describe('signatures', () => {
    let company: Registered;
    let subscriptionId: string;
    beforeAll(async () => {
      company = await registerCompany(b.t);
      subscriptionId = (await subscribe(b, company.client)).id;
    });

    const cancelled = () =>
      stripeEvent('customer.subscription.deleted', b.stripe.subscriptionSnapshot(subscriptionId, { status: 'active' }));

    it('refuses a body signed with another secret: 400 invalid_signature, nothing applied', async () => {
      const event = stripeEvent('customer.subscription.deleted', { ...b.stripe.subscriptionSnapshot(subscriptionId), status: 'canceled' });
      const response = await postEvent(b.t, event, { secret: 'whsec_someoneElsesSecret0000000' });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe('invalid_signature');
      expect((await billingOf(company.client)).status).toBe('active');
    });

    it('refuses a signature older than the 300 s tolerance, and accepts one just inside it', async () => {
      const event = stripeEvent('customer.subscription.updated', b.stripe.subscriptionSnapshot(subscriptionId));
      const stale = await postEvent(b.t, event, { timestamp: seconds() - 301 });
      expect(stale.statusCode).toBe(400);
      expect(stale.json().code).toBe('invalid_signature');
      const fresh = await postEvent(b.t, event, { timestamp: seconds() - 280 });
      expect(fresh.statusCode, fresh.body).toBe(200);
    });

    it('refuses a missing signature, an altered body and a body that is not JSON', async () => {
      const event = cancelled();
      const missing = await b.t.app.inject({
        method: 'POST',
        url: '/api/v1/billing/webhook',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(event),
      });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().code).toBe('invalid_signature');

      const signedFor = JSON.stringify(event);
      const { default: Stripe } = await import('stripe');
      const header = Stripe.webhooks.generateTestHeaderString({ payload: signedFor, secret: STRIPE.webhookSecret });
      const altered = await b.t.app.inject({
        method: 'POST',
        url: '/api/v1/billing/webhook',
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        // Same JSON, different bytes: a parser would accept it, the signature does not.
        payload: JSON.stringify(event, null, 1),
      });
      expect(altered.statusCode).toBe(400);
      expect(altered.json().code).toBe('invalid_signature');

      const text = await b.t.app.inject({
        method: 'POST',
        url: '/api/v1/billing/webhook',
        headers: { 'content-type': 'text/plain', 'stripe-signature': header },
        payload: signedFor,
      });
      expect(text.statusCode).toBe(415);
      expect((await billingOf(company.client)).status).toBe('active');
    });

    it('keeps the CSRF rule: a webhook call announcing a foreign Origin is refused 403 before its signature is read', async () => {
      const response = await postEvent(b.t, cancelled(), { headers: { origin: 'https://evil.example' } });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('origin_mismatch');
    });

    it('leaves the rest of the API as it was: JSON only (415 for text/plain), no raw bodies', async () => {
      const response = await company.client.request({
        method: 'POST',
        url: '/api/v1/vendors',
        headers: { 'content-type': 'text/plain' },
        payload: '{"name":"Plain Text Vendor"}',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().code).toBe('unsupported_media_type');
    });
  });

  it('acknowledges a replayed event id and ignores it (no second state change, no second audit row)', async () => {
    const company = await registerCompany(b.t);
    const subscription = await subscribe(b, company.client);
    const failed = stripeEvent('invoice.payment_failed', b.stripe.invoice(subscription.id, 'open'));
    expect((await postEvent(b.t, failed)).statusCode).toBe(200);
    expect((await billingOf(company.client)).status).toBe('past_due');
    const paid = stripeEvent('invoice.paid', b.stripe.invoice(subscription.id, 'paid'), { created: seconds() + 1 });
    expect((await postEvent(b.t, paid)).statusCode).toBe(200);
    expect((await billingOf(company.client)).status).toBe('active');

    // The same failure again, with a later time so only the id can tell it apart: acknowledged, ignored.
    const replay = await postEvent(b.t, { ...failed, created: seconds() + 5 });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ received: true });
    expect((await billingOf(company.client)).status).toBe('active');
    const rows = await b.t.db.asOwner<{ n: string }>(
      "SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND details->>'eventId' = $2",
      [company.tenantId, failed.id],
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('never rolls back to an older snapshot delivered late, and an ended subscription stays ended', async () => {
    const company = await registerCompany(b.t);
    const subscription = await subscribe(b, company.client, seconds() - 100);
    const t0 = seconds();
    const newer = stripeEvent('customer.subscription.updated', b.stripe.subscriptionSnapshot(subscription.id), { created: t0 - 10 });
    const older = stripeEvent('customer.subscription.updated', b.stripe.subscriptionSnapshot(subscription.id, { status: 'past_due' }), {
      created: t0 - 20,
    });
    expect((await postEvent(b.t, newer)).statusCode).toBe(200);
    expect((await postEvent(b.t, older)).statusCode).toBe(200);
    expect(await billingOf(company.client)).toMatchObject({ status: 'active', access: 'full' });

    const deleted = stripeEvent('customer.subscription.deleted', b.stripe.subscriptionSnapshot(subscription.id, { status: 'canceled' }), {
      created: t0,
    });
    const lateActive = stripeEvent('customer.subscription.updated', { ...deleted.data.object, status: 'active' }, { created: t0 });
    expect((await postEvent(b.t, deleted)).statusCode).toBe(200);
    expect((await postEvent(b.t, lateActive)).statusCode).toBe(200);
    expect(await billingOf(company.client)).toMatchObject({ status: 'cancelled', access: 'read_only' });

    const ignored = await b.t.db.asOwner<{ reason: string }>(
      "SELECT details->>'reason' AS reason FROM audit_events WHERE tenant_id = $1 AND action = 'billing.event_ignored' ORDER BY seq",
      [company.tenantId],
    );
    expect(ignored.map((row) => row.reason)).toEqual(['stale', 'ended']);
  });

  it('ignores a completed Checkout Session whose reference names another company, and applies the genuine one', async () => {
    const company = await registerCompany(b.t);
    const checkout = await company.client.post('/api/v1/billing/checkout');
    const { session } = b.stripe.completeCheckout(new URL(checkout.json().url).pathname.split('/').pop()!);
    const forged = stripeEvent('checkout.session.completed', { ...session, client_reference_id: randomUUID() });
    expect((await postEvent(b.t, forged)).statusCode).toBe(200);
    expect(await billingOf(company.client)).toMatchObject({ plan: 'trial', status: 'trial' });
    expect((await postEvent(b.t, stripeEvent('checkout.session.completed', session))).statusCode).toBe(200);
    expect(await billingOf(company.client)).toMatchObject({ plan: 'subscription', status: 'active' });
  });

  it('ignores (and acknowledges) events of customers no company has, and event types it does not apply', async () => {
    const stranger = stripeEvent('customer.subscription.updated', {
      id: 'sub_notours',
      object: 'subscription',
      customer: 'cus_notours',
      status: 'canceled',
      items: { object: 'list', data: [] },
    });
    expect((await postEvent(b.t, stranger)).statusCode).toBe(200);
    const other = stripeEvent('customer.created', { id: 'cus_other', object: 'customer' });
    expect((await postEvent(b.t, other)).statusCode).toBe(200);
  });
});

describe(`billing off: no STRIPE_SECRET_KEY (${engineName})`, () => {
  it('answers 404 on every billing route, says so in /me, and allows everything', async () => {
    const t = await startTestApp();
    try {
      const company = await registerCompany(t);
      for (const [method, url] of [
        ['GET', '/api/v1/billing'],
        ['POST', '/api/v1/billing/checkout'],
        ['POST', '/api/v1/billing/portal'],
      ] as const) {
        const response = await company.client.request({ method, url });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json().code).toBe('not_found');
      }
      const webhook = await t.app.inject({
        method: 'POST',
        url: '/api/v1/billing/webhook',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(webhook.statusCode).toBe(404);
      expect((await company.client.get('/api/v1/me')).json().tenant.billing).toEqual({ enabled: false });
      // A company far past any trial still changes what it likes.
      await t.db.asOwner("UPDATE tenants SET created_at = now() - interval '400 days' WHERE id = $1", [company.tenantId]);
      expect((await company.client.post('/api/v1/vendors', { name: 'Self-hosted Vendor' })).statusCode).toBe(201);
    } finally {
      await t.close();
    }
  });
});
