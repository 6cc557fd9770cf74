import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { expect } from 'vitest';
import { startFakeStripe, stripeEvent, type FakeStripe, type StripeObject } from '../fakes/fake-stripe.js';
import { startTestApp, type Client, type TestApp } from '../helpers/test-app.js';

export const STRIPE = {
  secretKey: 'sk_test_pactum0billing0fake0key0000',
  webhookSecret: 'whsec_pactumBillingTestSecret000000',
  priceId: 'price_pactumSeatMonthly',
};

export interface BillingTestApp {
  t: TestApp;
  stripe: FakeStripe;
  close(): Promise<void>;
}

/** The real app with billing on, its Stripe client pointed at a fresh fake Stripe. */
export async function startBillingApp(beforeReady?: (app: FastifyInstance) => void): Promise<BillingTestApp> {
  const stripe = await startFakeStripe({ secretKey: STRIPE.secretKey, priceId: STRIPE.priceId });
  const t = await startTestApp(
    {
      STRIPE_SECRET_KEY: STRIPE.secretKey,
      STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
      STRIPE_PRICE_ID: STRIPE.priceId,
      PACTUM_STRIPE_API_URL: stripe.url,
    },
    beforeReady,
  );
  return {
    t,
    stripe,
    async close() {
      await t.close();
      await stripe.close();
    },
  };
}

/** Posts an event to the webhook as Stripe would: raw JSON, signed with the library's test-header helper. */
export function postEvent(
  t: TestApp,
  event: Record<string, unknown>,
  options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? STRIPE.webhookSecret,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/billing/webhook',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, ...options.headers },
    payload,
  });
}

export const seconds = () => Math.floor(Date.now() / 1000);

/**
 * A master subscribes: Checkout opens at the fake, the customer "pays" there, and Stripe's events for it
 * arrive signed. Returns the subscription as the fake holds it.
 */
export async function subscribe(b: BillingTestApp, master: Client, created = seconds()): Promise<StripeObject> {
  const checkout = await master.post('/api/v1/billing/checkout');
  expect(checkout.statusCode, checkout.body).toBe(200);
  const sessionId = new URL(checkout.json().url).pathname.split('/').pop()!;
  const { session, subscription } = b.stripe.completeCheckout(sessionId);
  for (const event of [
    stripeEvent('checkout.session.completed', session, { created }),
    stripeEvent('customer.subscription.created', subscription, { created }),
  ]) {
    const answer = await postEvent(b.t, event);
    expect(answer.statusCode, answer.body).toBe(200);
  }
  return subscription;
}

/** Waits until the fake Stripe has received a quantity update to `quantity` for the subscription. */
export async function quantitySentToStripe(stripe: FakeStripe, subscriptionId: string, quantity: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  const sent = () =>
    stripe.requests.some(
      (request) =>
        request.method === 'POST' &&
        request.path === `/v1/subscriptions/${subscriptionId}` &&
        request.status === 200 &&
        (request.form.items as Array<{ quantity?: string }> | undefined)?.[0]?.quantity === String(quantity),
    );
  while (!sent()) {
    if (Date.now() > deadline) throw new Error(`Stripe never received quantity ${quantity} for ${subscriptionId}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The subscription's item quantity as the fake Stripe holds it now. */
export function stripeQuantity(stripe: FakeStripe, subscriptionId: string): number {
  const subscription = stripe.subscriptions.get(subscriptionId)!;
  return (subscription.items as { data: Array<{ quantity: number }> }).data[0]!.quantity;
}
