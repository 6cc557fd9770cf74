import { describe, expect, it } from 'vitest';
import { GRACE_DAYS, standingOf, TRIAL_DAYS } from '../../src/billing/standing.js';
import { applyObservation, type SubscriptionState } from '../../src/billing/subscription-state.js';

const DAY = 86_400_000;
const signup = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(signup.getTime() + days * DAY);

describe('standing: what a company may do, by plan and time', () => {
  it('trial: full for 30 days from signup, then expired and read-only', () => {
    expect(standingOf({ tenantCreatedAt: signup, account: null }, at(TRIAL_DAYS - 0.01))).toMatchObject({
      status: 'trial',
      access: 'full',
    });
    expect(standingOf({ tenantCreatedAt: signup, account: null }, at(TRIAL_DAYS))).toMatchObject({
      status: 'expired',
      access: 'read_only',
    });
    // A checkout begun but never paid ('incomplete') does not end or extend the trial.
    const incomplete = { subscriptionStatus: 'incomplete' as const, pastDueSince: null };
    expect(standingOf({ tenantCreatedAt: signup, account: incomplete }, at(3))).toMatchObject({ plan: 'trial', status: 'trial' });
  });

  it('past due: full with a banner for 14 days from the first failure, then read-only; cancelled is read-only', () => {
    const pastDue = { subscriptionStatus: 'past_due' as const, pastDueSince: at(100) };
    expect(standingOf({ tenantCreatedAt: signup, account: pastDue }, at(100 + GRACE_DAYS - 0.01))).toMatchObject({
      status: 'past_due',
      access: 'full',
      banner: 'payment_failed',
      graceEndsAt: at(100 + GRACE_DAYS),
    });
    expect(standingOf({ tenantCreatedAt: signup, account: pastDue }, at(100 + GRACE_DAYS))).toMatchObject({
      access: 'read_only',
      banner: 'read_only',
    });
    for (const status of ['canceled', 'incomplete_expired', 'paused'] as const) {
      expect(standingOf({ tenantCreatedAt: signup, account: { subscriptionStatus: status, pastDueSince: null } }, at(5))).toMatchObject({
        status: 'cancelled',
        access: 'read_only',
      });
    }
    for (const status of ['active', 'trialing'] as const) {
      expect(standingOf({ tenantCreatedAt: signup, account: { subscriptionStatus: status, pastDueSince: null } }, at(500))).toMatchObject({
        status: 'active',
        access: 'full',
        banner: null,
      });
    }
  });
});

describe('subscription state: events in any order never roll it back', () => {
  const empty: SubscriptionState = {
    subscriptionId: null,
    status: null,
    currentPeriodEnd: null,
    subscribedSeats: null,
    pastDueSince: null,
    asOf: null,
  };
  const active: SubscriptionState = { ...empty, subscriptionId: 'sub_A', status: 'active', subscribedSeats: 2, asOf: at(10) };
  const subscription = (day: number, status: 'active' | 'past_due' | 'canceled', id = 'sub_A') =>
    ({ kind: 'subscription', at: at(day), subscriptionId: id, status, currentPeriodEnd: at(day + 30), seats: 2 }) as const;

  it('ignores an older snapshot, applies one of the same second', () => {
    expect(applyObservation(active, subscription(9, 'past_due'))).toEqual({ applied: false, reason: 'stale' });
    const same = applyObservation(active, subscription(10, 'past_due'));
    expect(same.applied && same.next.status).toBe('past_due');
  });

  it('keeps the first failure as the start of the grace period, and clears it when paid', () => {
    const failed = applyObservation(active, { kind: 'invoice_payment_failed', at: at(11), subscriptionId: 'sub_A' });
    if (!failed.applied) throw new Error('not applied');
    expect(failed.next).toMatchObject({ status: 'past_due', pastDueSince: at(11) });
    const again = applyObservation(failed.next, { kind: 'invoice_payment_failed', at: at(14), subscriptionId: 'sub_A' });
    expect(again.applied && again.next.pastDueSince).toEqual(at(11));
    const paid = applyObservation(failed.next, { kind: 'invoice_paid', at: at(15), subscriptionId: 'sub_A' });
    expect(paid.applied && paid.next).toMatchObject({ status: 'active', pastDueSince: null, asOf: at(15) });
  });

  it('an ended subscription stays ended; a new one (after checkout) replaces it; another live one is ignored', () => {
    const ended = applyObservation(active, subscription(12, 'canceled'));
    if (!ended.applied) throw new Error('not applied');
    expect(applyObservation(ended.next, subscription(13, 'active'))).toEqual({ applied: false, reason: 'ended' });
    const fresh = applyObservation(ended.next, { kind: 'checkout_completed', at: at(20), subscriptionId: 'sub_B', paid: true });
    expect(fresh.applied && fresh.next).toMatchObject({ subscriptionId: 'sub_B', status: 'active' });
    expect(applyObservation(active, subscription(30, 'canceled', 'sub_C'))).toEqual({ applied: false, reason: 'other_subscription' });
  });
});
