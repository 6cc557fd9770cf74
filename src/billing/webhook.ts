import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type Stripe from 'stripe';
import type { AuditAction } from '../audit/actions.js';
import { recordAudit } from '../audit/record.js';
import type { Schema, StripeSubscriptionStatus } from '../db/schema.js';
import { asAppWithoutTenant, enterTenant } from '../db/tenant-context.js';
import * as queries from './queries.js';
import { applyObservation, type Observation } from './subscription-state.js';

const CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,200}$/;
const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9]{1,200}$/;
const EVENT_ID = /^evt_[A-Za-z0-9_]{1,200}$/;
const STATUSES = new Set<string>(['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused']);

export type WebhookResult = 'applied' | 'replayed' | 'stale' | 'ignored';

const idOf = (value: unknown): string | null =>
  typeof value === 'string'
    ? value
    : typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string'
      ? value.id
      : null;

const timeOf = (seconds: unknown): Date | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : null;

/** The subscription an invoice is for: `parent.subscription_details` since API 2025-03-31, `subscription` before. */
function invoiceSubscription(invoice: Stripe.Invoice): string | null {
  const legacy = (invoice as unknown as { subscription?: unknown }).subscription;
  return idOf(invoice.parent?.subscription_details?.subscription ?? legacy);
}

/** The latest period end over the items (it moved from the subscription to its items in API 2025-03-31). */
function periodEnd(subscription: Stripe.Subscription): Date | null {
  const ends = subscription.items.data.map((item) => item.current_period_end).filter((end) => typeof end === 'number');
  return ends.length > 0 ? timeOf(Math.max(...ends)) : null;
}

/** The customer and what the event says, for the six event types billing applies; null for anything else. */
export function observe(
  event: Stripe.Event,
): { customerId: string | null; tenantReference?: string | null; observation: Observation } | null {
  const at = timeOf(event.created);
  if (!at) return null;
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const subscriptionId = idOf(session.subscription);
      if (session.mode !== 'subscription' || !subscriptionId) return null;
      const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
      return {
        customerId: idOf(session.customer),
        tenantReference: session.client_reference_id,
        observation: { kind: 'checkout_completed', at, subscriptionId, paid },
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      if (!STATUSES.has(subscription.status)) return null;
      return {
        customerId: idOf(subscription.customer),
        observation: {
          kind: 'subscription',
          at,
          subscriptionId: subscription.id,
          status: subscription.status as StripeSubscriptionStatus,
          currentPeriodEnd: periodEnd(subscription),
          seats: subscription.items.data[0]?.quantity ?? null,
        },
      };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      const subscriptionId = invoiceSubscription(invoice);
      if (!subscriptionId) return null;
      const kind = event.type === 'invoice.paid' ? 'invoice_paid' : 'invoice_payment_failed';
      return { customerId: idOf(invoice.customer), observation: { kind, at, subscriptionId } };
    }
    default:
      return null;
  }
}

const AUDIT_ACTIONS: Record<Observation['kind'], AuditAction> = {
  checkout_completed: 'billing.checkout_completed',
  subscription: 'billing.subscription_changed',
  invoice_paid: 'billing.payment_succeeded',
  invoice_payment_failed: 'billing.payment_failed',
};

/**
 * Applies one verified event in one transaction: the company found by its Stripe customer, the event id
 * recorded once (a replay changes nothing), the state moved forward only (subscription-state.ts), and
 * the change in the company's audit trail — all committed together or not at all, so Stripe's retry of
 * a failed delivery finds the event unrecorded. Nothing here calls Stripe.
 */
export async function applyEvent(
  deps: { kysely: Kysely<Schema>; logger: Pick<FastifyBaseLogger, 'info' | 'warn'> },
  event: Stripe.Event,
): Promise<WebhookResult> {
  const seen = observe(event);
  if (!EVENT_ID.test(event.id) || !seen) return 'ignored';
  const { customerId, observation } = seen;
  if (!customerId || !CUSTOMER_ID.test(customerId) || !SUBSCRIPTION_ID.test(observation.subscriptionId)) {
    deps.logger.warn({ eventId: event.id, eventType: event.type }, 'Stripe event without a usable customer or subscription; ignored');
    return 'ignored';
  }
  return asAppWithoutTenant(deps.kysely, async (tx) => {
    const tenantId = await queries.customerTenant(tx, customerId);
    if (!tenantId) {
      // Not ours (another integration on the same Stripe account) or a customer whose company is gone.
      deps.logger.warn({ eventId: event.id, eventType: event.type }, 'Stripe event for a customer no company has; ignored');
      return 'ignored';
    }
    if (seen.tenantReference && seen.tenantReference !== tenantId) {
      // Our Checkout Sessions name the company that opened them; one naming another company is not ours to apply.
      deps.logger.warn({ eventId: event.id, eventType: event.type }, "Checkout Session of another company's customer; ignored");
      return 'ignored';
    }
    await enterTenant(tx, { tenantId, userId: null });
    if (!(await queries.claimEvent(tx, event.id, event.type))) return 'replayed';
    const account = await queries.lockAccount(tx);
    if (!account) return 'ignored';
    const before = queries.stateOf(account);
    const outcome = applyObservation(before, observation);
    const system = { actorId: null, ip: null, userAgent: null };
    if (!outcome.applied) {
      await recordAudit(tx, system, {
        action: 'billing.event_ignored',
        target: { type: 'tenant', id: tenantId },
        details: { eventId: event.id, eventType: event.type, reason: outcome.reason },
      });
      return 'stale';
    }
    const next = outcome.next;
    await queries.saveState(tx, next, {
      markSeats: observation.kind === 'checkout_completed' || before.subscriptionId !== next.subscriptionId,
    });
    await recordAudit(tx, system, {
      action: AUDIT_ACTIONS[observation.kind],
      target: { type: 'tenant', id: tenantId },
      details: {
        eventId: event.id,
        eventType: event.type,
        subscriptionId: next.subscriptionId,
        previousStatus: before.status,
        status: next.status,
        seats: next.subscribedSeats,
      },
    });
    return 'applied';
  });
}
