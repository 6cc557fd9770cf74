import type Stripe from 'stripe';
import type { BillingConfig } from '../config.js';

/**
 * The Stripe calls billing makes, through the official client and nothing else. Every call sends ids,
 * a price, a quantity and the company's name and master's e-mail; card data is entered on Stripe's own
 * pages and never passes through here (PCI DSS SAQ A, docs/security.md).
 */
export interface StripeGateway {
  createCustomer(input: { tenantId: string; name: string; email: string }): Promise<{ id: string }>;
  createCheckoutSession(input: {
    tenantId: string;
    customerId: string;
    seats: number;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ id: string; url: string }>;
  createPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }>;
  /** The subscription's first item (Pactum sells one price) and its quantity. */
  subscriptionSeats(subscriptionId: string): Promise<{ itemId: string; quantity: number } | null>;
  setSubscriptionSeats(input: { subscriptionId: string; itemId: string; quantity: number; idempotencyKey: string }): Promise<void>;
  /** The verified event, or a StripeSignatureVerificationError (wrong secret, altered body, timestamp outside 300 s). */
  verifyEvent(rawBody: Buffer, signature: string): Promise<Stripe.Event>;
}

/**
 * The client pointed at PACTUM_STRIPE_API_URL through its public host/port/protocol options. The library
 * is loaded here, at the first Stripe call, not when the server starts: ~15 MB a node may never need.
 */
async function createStripeClient(config: BillingConfig): Promise<Stripe> {
  const { default: StripeClient } = await import('stripe');
  const protocol = config.apiUrl.protocol === 'http:' ? 'http' : 'https';
  return new StripeClient(config.secretKey, {
    host: config.apiUrl.hostname,
    port: config.apiUrl.port || (protocol === 'https' ? 443 : 80),
    protocol,
    // The client adds idempotency keys to retried POSTs itself; two retries ride out a blip.
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: 'Pactum' },
  });
}

export function createStripeGateway(config: BillingConfig): StripeGateway {
  let client: Promise<Stripe> | null = null;
  const connect = () => (client ??= createStripeClient(config));
  return {
    async createCustomer({ tenantId, name, email }) {
      // One customer per company even if two masters click at once: Stripe answers a repeated key with the first result.
      const stripe = await connect();
      const customer = await stripe.customers.create(
        { name, email, metadata: { pactum_tenant_id: tenantId } },
        { idempotencyKey: `pactum-customer-${tenantId}` },
      );
      return { id: customer.id };
    },
    async createCheckoutSession({ tenantId, customerId, seats, successUrl, cancelUrl }) {
      const stripe = await connect();
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customerId,
        client_reference_id: tenantId,
        line_items: [{ price: config.priceId, quantity: seats }],
        success_url: successUrl,
        cancel_url: cancelUrl,
        metadata: { pactum_tenant_id: tenantId },
        subscription_data: { metadata: { pactum_tenant_id: tenantId } },
      });
      if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
      return { id: session.id, url: session.url };
    },
    async createPortalSession({ customerId, returnUrl }) {
      const stripe = await connect();
      const session = await stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl });
      return { url: session.url };
    },
    async subscriptionSeats(subscriptionId) {
      const stripe = await connect();
      const subscription = await stripe.subscriptions.retrieve(subscriptionId);
      const item = subscription.items.data[0];
      return item ? { itemId: item.id, quantity: item.quantity ?? 0 } : null;
    },
    async setSubscriptionSeats({ subscriptionId, itemId, quantity, idempotencyKey }) {
      const stripe = await connect();
      await stripe.subscriptions.update(
        subscriptionId,
        { items: [{ id: itemId, quantity }], proration_behavior: 'create_prorations' },
        { idempotencyKey },
      );
    },
    async verifyEvent(rawBody, signature) {
      const stripe = await connect();
      // The library's default tolerance: 300 seconds between Stripe signing and us checking.
      return stripe.webhooks.constructEvent(rawBody, signature, config.webhookSecret);
    },
  };
}

/**
 * A Stripe failure, told by its documented `type` (`StripeCardError`, `StripeSignatureVerificationError`, …)
 * rather than by class, so that telling it does not load the library.
 */
function stripeError(error: unknown): Stripe.errors.StripeError | null {
  const type = error instanceof Error ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.startsWith('Stripe') ? (error as Stripe.errors.StripeError) : null;
}

/** What a Stripe failure may show in a log: its kind and request id, never its message or parameters. */
export function stripeErrorForLog(error: unknown): Record<string, unknown> {
  const failure = stripeError(error);
  if (failure) {
    return { type: failure.type, code: failure.code ?? null, statusCode: failure.statusCode ?? null, requestId: failure.requestId ?? null };
  }
  return { type: error instanceof Error ? error.name : 'unknown' };
}

export const isSignatureError = (error: unknown) => stripeError(error)?.type === 'StripeSignatureVerificationError';
