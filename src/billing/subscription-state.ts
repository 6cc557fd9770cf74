import type { StripeSubscriptionStatus } from '../db/schema.js';

/** The subscription state kept per company (billing_accounts), as far as events change it. */
export interface SubscriptionState {
  subscriptionId: string | null;
  status: StripeSubscriptionStatus | null;
  currentPeriodEnd: Date | null;
  subscribedSeats: number | null;
  pastDueSince: Date | null;
  /** Time of the newest Stripe snapshot applied. */
  asOf: Date | null;
}

/**
 * What one verified event says, reduced to what billing keeps. `at` is the event's `created`: the moment
 * Stripe took the snapshot of the object it carries. Stripe objects have no modification time of their
 * own, and events may arrive in any order and more than once, so this is the version compared.
 */
export type Observation =
  | { kind: 'checkout_completed'; at: Date; subscriptionId: string; paid: boolean }
  | {
      kind: 'subscription';
      at: Date;
      subscriptionId: string;
      status: StripeSubscriptionStatus;
      currentPeriodEnd: Date | null;
      seats: number | null;
    }
  | { kind: 'invoice_paid' | 'invoice_payment_failed'; at: Date; subscriptionId: string };

/** Stripe never revives these: a later snapshot of the same subscription cannot be newer news. */
const TERMINAL = new Set<StripeSubscriptionStatus>(['canceled', 'incomplete_expired']);
const PAST_DUE = new Set<StripeSubscriptionStatus>(['past_due', 'unpaid']);
const IN_GOOD_STANDING = new Set<StripeSubscriptionStatus>(['active', 'trialing']);

export type Outcome = { applied: true; next: SubscriptionState } | { applied: false; reason: 'stale' | 'ended' | 'other_subscription' };

/**
 * The next state after an observation, or why it is ignored. Out-of-order delivery never rolls the state
 * back: a snapshot older than the newest applied one is ignored (ties apply: Stripe's times are whole
 * seconds, and two snapshots of one second agree on the states this cares about), an ended subscription
 * stays ended, and while one subscription is live, events about another one change nothing.
 */
export function applyObservation(current: SubscriptionState, seen: Observation): Outcome {
  if (current.asOf !== null && seen.at < current.asOf) return { applied: false, reason: 'stale' };
  const sameSubscription = current.subscriptionId === seen.subscriptionId;
  if (sameSubscription && current.status !== null && TERMINAL.has(current.status)) return { applied: false, reason: 'ended' };
  const currentLive = current.subscriptionId !== null && current.status !== null && !TERMINAL.has(current.status);
  if (!sameSubscription && currentLive && seen.kind !== 'checkout_completed') return { applied: false, reason: 'other_subscription' };

  const asOf = current.asOf !== null && current.asOf > seen.at ? current.asOf : seen.at;
  const base: SubscriptionState = sameSubscription
    ? { ...current, asOf }
    : { subscriptionId: seen.subscriptionId, status: null, currentPeriodEnd: null, subscribedSeats: null, pastDueSince: null, asOf };
  const withStatus = (status: StripeSubscriptionStatus | null): SubscriptionState => ({
    ...base,
    status,
    pastDueSince: status !== null && PAST_DUE.has(status) ? (base.pastDueSince ?? seen.at) : null,
  });

  switch (seen.kind) {
    case 'checkout_completed':
      // Checkout completes once the first payment went through (or needed none); the subscription's own
      // events bring the details. An unpaid completion (delayed payment methods) waits for them.
      return { applied: true, next: seen.paid && base.status === null ? withStatus('active') : { ...base } };
    case 'subscription':
      return {
        applied: true,
        next: {
          ...withStatus(seen.status),
          currentPeriodEnd: seen.currentPeriodEnd ?? base.currentPeriodEnd,
          subscribedSeats: seen.seats ?? base.subscribedSeats,
        },
      };
    case 'invoice_paid':
      return { applied: true, next: base.status !== null && PAST_DUE.has(base.status) ? withStatus('active') : { ...base } };
    case 'invoice_payment_failed':
      return {
        applied: true,
        next: base.status === null || IN_GOOD_STANDING.has(base.status) || PAST_DUE.has(base.status) ? withStatus('past_due') : { ...base },
      };
  }
}
