import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for api.stripe.com speaking the endpoints Pactum's billing uses, as Stripe documents them:
 * form-encoded request bodies with bracketed nesting (`line_items[0][price]=…`), `Authorization: Bearer
 * <secret key>`, `Idempotency-Key` replays, JSON objects with `id`/`object` and Stripe's error envelope
 * (`{ error: { type, code, message } }`). The real `stripe` client talks to it through its host/port/
 * protocol options, so what is tested is the real client.
 *
 *   POST /v1/customers                      → customer
 *   POST /v1/checkout/sessions              → checkout.session (with its hosted `url`)
 *   POST /v1/billing_portal/sessions        → billing_portal.session (with its hosted `url`)
 *   GET  /v1/subscriptions/{id}             → subscription
 *   POST /v1/subscriptions/{id}             → subscription, items' quantities updated
 *
 * Test helpers build what Stripe would do on its own pages (a customer paying in Checkout) and the
 * objects its events carry, in the 2026-10-28 API shapes (period ends on the subscription items,
 * an invoice's subscription under `parent.subscription_details`).
 */
export interface FakeStripe {
  /** Base URL for PACTUM_STRIPE_API_URL. */
  url: string;
  /** Every request: method, path, decoded form, and the answer's status. */
  requests: Array<{ method: string; path: string; form: Record<string, unknown>; status: number; rawBody: string }>;
  customers: Map<string, StripeObject>;
  checkoutSessions: Map<string, StripeObject>;
  subscriptions: Map<string, StripeObject>;
  /** Answer the next request(s) with this HTTP status and a Stripe api_error. Calls queue up. */
  failNext(status: number): void;
  /** What Stripe does when the customer pays on the Checkout page: the session completes, a subscription exists. */
  completeCheckout(sessionId: string): { session: StripeObject; subscription: StripeObject };
  /** A copy of a subscription with some fields changed, as a later `customer.subscription.updated` would carry it. */
  subscriptionSnapshot(subscriptionId: string, changes?: { status?: string; quantity?: number }): StripeObject;
  /** An invoice of the subscription, as `invoice.paid` / `invoice.payment_failed` carry it. */
  invoice(subscriptionId: string, status: 'paid' | 'open'): StripeObject;
  close(): Promise<void>;
}

export type StripeObject = Record<string, unknown> & { id: string; object: string };

const MAX_BODY_BYTES = 256 * 1024;

const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** Stripe's form encoding: `a[b][0][c]=v` → { a: { b: [ { c: 'v' } ] } }. */
export function decodeStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== '');
    let node: Record<string, unknown> | unknown[] = root;
    path.forEach((part, index) => {
      const last = index === path.length - 1;
      const nextIsIndex = /^\d+$/.test(path[index + 1] ?? '');
      const container = node as Record<string, unknown>;
      if (last) container[part] = value;
      else {
        container[part] ??= nextIsIndex ? [] : {};
        node = container[part] as Record<string, unknown>;
      }
    });
  }
  return root;
}

export async function startFakeStripe(options: { secretKey: string; priceId: string }): Promise<FakeStripe> {
  const requests: FakeStripe['requests'] = [];
  const customers = new Map<string, StripeObject>();
  const checkoutSessions = new Map<string, StripeObject>();
  const subscriptions = new Map<string, StripeObject>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const pendingFailures: number[] = [];

  const error = (status: number, type: string, message: string, code?: string) => ({
    status,
    body: { error: { type, message, ...(code ? { code } : {}) } },
  });

  function createCustomer(form: Record<string, unknown>) {
    const customer: StripeObject = {
      id: stripeId('cus'),
      object: 'customer',
      created: now(),
      email: form.email ?? null,
      name: form.name ?? null,
      metadata: form.metadata ?? {},
      livemode: false,
      invoice_settings: { default_payment_method: null },
    };
    customers.set(customer.id, customer);
    return { status: 200, body: customer };
  }

  function createCheckoutSession(form: Record<string, unknown>) {
    const lineItems = form.line_items as Array<{ price?: string; quantity?: string }> | undefined;
    if (form.mode !== 'subscription')
      return error(400, 'invalid_request_error', 'Pactum only opens subscription sessions', 'parameter_invalid');
    if (typeof form.customer !== 'string' || !customers.has(form.customer)) {
      return error(400, 'invalid_request_error', `No such customer: '${String(form.customer)}'`, 'resource_missing');
    }
    if (!lineItems?.[0] || lineItems[0].price !== options.priceId || !/^\d+$/.test(lineItems[0].quantity ?? '')) {
      return error(400, 'invalid_request_error', 'line_items[0] needs the price and a quantity', 'parameter_invalid');
    }
    if (typeof form.success_url !== 'string' || typeof form.cancel_url !== 'string') {
      return error(400, 'invalid_request_error', 'Missing required param: success_url.', 'parameter_missing');
    }
    const id = `cs_test_${randomBytes(16).toString('hex')}`;
    const session: StripeObject = {
      id,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      customer: form.customer,
      client_reference_id: form.client_reference_id ?? null,
      metadata: form.metadata ?? {},
      success_url: form.success_url,
      cancel_url: form.cancel_url,
      subscription: null,
      created: now(),
      expires_at: now() + 24 * 3600,
      livemode: false,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      // Kept by the fake to build the subscription; Stripe keeps line items behind their own endpoint.
      _quantity: Number(lineItems[0].quantity),
      _subscription_metadata: (form.subscription_data as { metadata?: unknown } | undefined)?.metadata ?? {},
    };
    checkoutSessions.set(id, session);
    const { _quantity, _subscription_metadata, ...visible } = session;
    void _quantity;
    void _subscription_metadata;
    return { status: 200, body: visible };
  }

  function createPortalSession(form: Record<string, unknown>) {
    if (typeof form.customer !== 'string' || !customers.has(form.customer)) {
      return error(400, 'invalid_request_error', `No such customer: '${String(form.customer)}'`, 'resource_missing');
    }
    const id = stripeId('bps');
    return {
      status: 200,
      body: {
        id,
        object: 'billing_portal.session',
        customer: form.customer,
        return_url: form.return_url ?? null,
        created: now(),
        livemode: false,
        url: `https://billing.stripe.com/p/session/test_${randomBytes(16).toString('hex')}`,
      },
    };
  }

  function updateSubscription(id: string, form: Record<string, unknown>) {
    const subscription = subscriptions.get(id);
    if (!subscription) return error(404, 'invalid_request_error', `No such subscription: '${id}'`, 'resource_missing');
    const items = (subscription.items as { data: Array<Record<string, unknown>> }).data;
    for (const change of (form.items as Array<{ id?: string; quantity?: string }> | undefined) ?? []) {
      const item = items.find((candidate) => candidate.id === change.id);
      if (!item) return error(400, 'invalid_request_error', `No such subscription item: '${String(change.id)}'`, 'resource_missing');
      if (change.quantity !== undefined) item.quantity = Number(change.quantity);
    }
    return { status: 200, body: subscription };
  }

  function route(method: string, path: string, form: Record<string, unknown>) {
    if (method === 'POST' && path === '/v1/customers') return createCustomer(form);
    if (method === 'POST' && path === '/v1/checkout/sessions') return createCheckoutSession(form);
    if (method === 'POST' && path === '/v1/billing_portal/sessions') return createPortalSession(form);
    const subscription = /^\/v1\/subscriptions\/([A-Za-z0-9_]+)$/.exec(path);
    if (subscription) {
      const id = subscription[1]!;
      if (method === 'GET') {
        const found = subscriptions.get(id);
        return found
          ? { status: 200, body: found }
          : error(404, 'invalid_request_error', `No such subscription: '${id}'`, 'resource_missing');
      }
      if (method === 'POST') return updateSubscription(id, form);
    }
    return error(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  }

  async function answer(request: IncomingMessage, rawBody: string) {
    const url = new URL(request.url ?? '/', 'http://fake');
    const form = decodeStripeForm(request.method === 'GET' ? url.search.slice(1) : rawBody);
    const failure = pendingFailures.shift();
    if (failure !== undefined) return { form, ...error(failure, 'api_error', 'Injected failure') };
    if (request.headers.authorization !== `Bearer ${options.secretKey}`) {
      return { form, ...error(401, 'invalid_request_error', 'Invalid API Key provided: sk_test_********') };
    }
    if (request.method === 'POST' && !String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { form, ...error(400, 'invalid_request_error', 'Stripe takes form-encoded bodies') };
    }
    const key = request.headers['idempotency-key'];
    const replay = typeof key === 'string' ? idempotent.get(key) : undefined;
    if (replay) return { form, ...replay };
    const result = route(request.method ?? 'GET', url.pathname, form);
    if (typeof key === 'string' && result.status < 500) idempotent.set(key, result);
    return { form, ...result };
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      answer(request, rawBody).then(
        ({ form, status, body }) => {
          requests.push({ method: request.method ?? '', path: new URL(request.url ?? '/', 'http://fake').pathname, form, status, rawBody });
          response.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req') });
          response.end(JSON.stringify(body));
        },
        () => {
          response.writeHead(500).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function subscriptionFor(session: StripeObject): StripeObject {
    const id = stripeId('sub');
    const start = now();
    const end = start + 30 * 24 * 3600;
    return {
      id,
      object: 'subscription',
      customer: session.customer,
      status: 'active',
      created: start,
      start_date: start,
      billing_cycle_anchor: start,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      collection_method: 'charge_automatically',
      currency: 'chf',
      latest_invoice: stripeId('in'),
      livemode: false,
      metadata: session._subscription_metadata ?? {},
      items: {
        object: 'list',
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
        data: [
          {
            id: stripeId('si'),
            object: 'subscription_item',
            created: start,
            current_period_start: start,
            current_period_end: end,
            quantity: session._quantity,
            subscription: id,
            price: { id: options.priceId, object: 'price', currency: 'chf', unit_amount: 1500, recurring: { interval: 'month' } },
          },
        ],
      },
    };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    customers,
    checkoutSessions,
    subscriptions,
    failNext: (status) => void pendingFailures.push(status),
    completeCheckout(sessionId) {
      const session = checkoutSessions.get(sessionId);
      if (!session) throw new Error(`no checkout session ${sessionId}`);
      const subscription = subscriptionFor(session);
      subscriptions.set(subscription.id, subscription);
      Object.assign(session, { status: 'complete', payment_status: 'paid', subscription: subscription.id });
      const { _quantity, _subscription_metadata, ...visible } = session;
      void _quantity;
      void _subscription_metadata;
      return { session: structuredClone(visible) as StripeObject, subscription: structuredClone(subscription) };
    },
    subscriptionSnapshot(subscriptionId, changes = {}) {
      const subscription = subscriptions.get(subscriptionId);
      if (!subscription) throw new Error(`no subscription ${subscriptionId}`);
      if (changes.status) subscription.status = changes.status;
      if (changes.status === 'canceled') Object.assign(subscription, { canceled_at: now(), ended_at: now() });
      const item = (subscription.items as { data: Array<Record<string, unknown>> }).data[0]!;
      if (changes.quantity !== undefined) item.quantity = changes.quantity;
      return structuredClone(subscription);
    },
    invoice(subscriptionId, status) {
      const subscription = subscriptions.get(subscriptionId);
      if (!subscription) throw new Error(`no subscription ${subscriptionId}`);
      const created = now();
      return {
        id: stripeId('in'),
        object: 'invoice',
        customer: subscription.customer,
        status,
        currency: 'chf',
        amount_due: 3000,
        amount_paid: status === 'paid' ? 3000 : 0,
        attempt_count: 1,
        created,
        period_start: created,
        period_end: created,
        next_payment_attempt: status === 'open' ? created + 3 * 24 * 3600 : null,
        parent: {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { subscription: subscriptionId, metadata: subscription.metadata },
        },
        status_transitions: {
          paid_at: status === 'paid' ? created : null,
          finalized_at: created,
          voided_at: null,
          marked_uncollectible_at: null,
        },
        livemode: false,
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Stripe event envelope around an object, as Stripe posts it to a webhook endpoint. */
export function stripeEvent(type: string, object: Record<string, unknown>, options: { created?: number; id?: string } = {}) {
  return {
    id: options.id ?? `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: options.created ?? now(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}
