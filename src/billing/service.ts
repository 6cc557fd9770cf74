import type { FastifyBaseLogger } from 'fastify';
import { recordAudit, type AuditContext } from '../audit/record.js';
import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import { requireMaster, type Actor } from '../identity/actor.js';
import * as queries from './queries.js';
import { standingOf, type Standing } from './standing.js';
import { stripeErrorForLog, type StripeGateway } from './stripe-gateway.js';

export interface BillingDeps {
  stripe: StripeGateway;
  publicUrl: URL;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  clock?: () => Date;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** Where the current company stands now (row-level security picks the company). */
export async function currentStanding(
  tx: Tx,
  now: Date,
): Promise<{ standing: Standing; account: Awaited<ReturnType<typeof queries.findAccount>> }> {
  const account = await queries.findAccount(tx);
  const standing = standingOf(
    {
      tenantCreatedAt: await queries.tenantCreatedAt(tx),
      account: account
        ? {
            subscriptionStatus: account.subscription_status,
            pastDueSince: account.past_due_since ? new Date(account.past_due_since) : null,
          }
        : null,
    },
    now,
  );
  return { standing, account };
}

/** GET /api/v1/billing (masters). */
export async function billingOverview(tx: Tx, actor: Actor, now: Date) {
  requireMaster(actor);
  const { standing, account } = await currentStanding(tx, now);
  return {
    plan: standing.plan,
    status: standing.status,
    seats: await queries.countActiveUsers(tx),
    subscribedSeats: account?.subscribed_seats ?? null,
    currentPeriodEnd: iso(account?.current_period_end ?? null),
    trialEndsAt: standing.trialEndsAt.toISOString(),
    graceEndsAt: iso(standing.graceEndsAt),
    access: standing.access,
    banner: standing.banner,
    portalAvailable: account !== undefined,
  };
}

/** The tenant's billing in GET /api/v1/me (any user). */
export async function billingSummary(tx: Tx, now: Date) {
  const { standing } = await currentStanding(tx, now);
  return {
    enabled: true as const,
    status: standing.status,
    access: standing.access,
    banner: standing.banner,
    trialEndsAt: standing.trialEndsAt.toISOString(),
    graceEndsAt: iso(standing.graceEndsAt),
  };
}

/** Stripe unreachable or refusing: retryable for the caller, logged without anything but the error's kind. */
async function atStripe<T>(deps: BillingDeps, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    deps.logger.error({ stripe: stripeErrorForLog(error) }, `Stripe call failed: ${what}`);
    throw new ProblemError(
      503,
      'service_unavailable',
      'The payment provider could not be reached; try again shortly.',
      {},
      { 'retry-after': '5' },
    );
  }
}

const LIVE = new Set(['active', 'trialing', 'past_due', 'unpaid']);

/** A session-checked transaction of the caller (the route's withSession). */
export type InSession = <T>(work: (tx: Tx, actor: Actor) => Promise<T>) => Promise<T>;

/**
 * POST /api/v1/billing/checkout: a Stripe Checkout Session in subscription mode for the active users,
 * returned as its hosted URL. No transaction is open while Stripe is called: what the call needs is read
 * first, what it returned is recorded after, each in a transaction of its own.
 */
export async function startCheckout(deps: BillingDeps, inSession: InSession, audit: (actor: Actor) => AuditContext) {
  const prepared = await inSession(async (tx, actor) => {
    requireMaster(actor);
    const account = await queries.findAccount(tx);
    if (account?.subscription_status && LIVE.has(account.subscription_status)) {
      throw new ProblemError(409, 'invalid_transition', 'Your company has a subscription already; change it in the billing portal.');
    }
    return {
      tenantId: actor.tenantId,
      customerId: account?.stripe_customer_id ?? null,
      seats: Math.max(1, await queries.countActiveUsers(tx)),
      customer: account ? null : await queries.customerDetails(tx, actor.userId),
    };
  });
  let customerId = prepared.customerId;
  if (customerId === null) {
    const created = await atStripe(deps, 'create customer', () =>
      deps.stripe.createCustomer({ tenantId: prepared.tenantId, ...prepared.customer! }),
    );
    customerId = await inSession(async (tx, actor) => {
      const kept = await queries.recordCustomer(tx, created.id);
      if (kept === created.id) {
        await recordAudit(tx, audit(actor), { action: 'billing.customer_created', target: { type: 'tenant', id: actor.tenantId } });
      }
      return kept;
    });
  }
  const base = deps.publicUrl.href.replace(/\/+$/, '');
  const session = await atStripe(deps, 'create checkout session', () =>
    deps.stripe.createCheckoutSession({
      tenantId: prepared.tenantId,
      customerId: customerId,
      seats: prepared.seats,
      successUrl: `${base}/billing?checkout=success`,
      cancelUrl: `${base}/billing?checkout=cancelled`,
    }),
  );
  await inSession((tx, actor) =>
    recordAudit(tx, audit(actor), {
      action: 'billing.checkout_started',
      target: { type: 'tenant', id: actor.tenantId },
      details: { checkoutSessionId: session.id, seats: prepared.seats },
    }),
  );
  return { url: session.url };
}

/** POST /api/v1/billing/portal: Stripe's Customer Portal (card, invoices, cancellation) for the company's customer. */
export async function openPortal(deps: BillingDeps, inSession: InSession, audit: (actor: Actor) => AuditContext) {
  const customerId = await inSession(async (tx, actor) => {
    requireMaster(actor);
    const account = await queries.findAccount(tx);
    if (!account) throw new ProblemError(409, 'invalid_transition', 'Your company has no subscription yet; start one with checkout first.');
    return account.stripe_customer_id;
  });
  const session = await atStripe(deps, 'create billing portal session', () =>
    deps.stripe.createPortalSession({ customerId, returnUrl: `${deps.publicUrl.href.replace(/\/+$/, '')}/billing` }),
  );
  await inSession((tx, actor) =>
    recordAudit(tx, audit(actor), { action: 'billing.portal_opened', target: { type: 'tenant', id: actor.tenantId } }),
  );
  return { url: session.url };
}
