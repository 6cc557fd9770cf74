import type { StripeSubscriptionStatus } from '../db/schema.js';

/** A new company may use everything for 30 days from signup without a subscription. */
export const TRIAL_DAYS = 30;
/** After a failed payment the company keeps full access this long (with a banner), then it is read-only. */
export const GRACE_DAYS = 14;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Pactum's own words for where a company stands; Stripe's eight statuses fold into these. */
export type BillingStatus = 'trial' | 'active' | 'past_due' | 'cancelled' | 'expired';
export type BillingAccess = 'full' | 'read_only';
/** What the web app shows above every screen: a failed payment within its grace, or read-only. */
export type BillingBanner = 'payment_failed' | 'read_only' | null;

export interface Standing {
  plan: 'trial' | 'subscription';
  status: BillingStatus;
  access: BillingAccess;
  banner: BillingBanner;
  trialEndsAt: Date;
  /** While past due: when full access ends. */
  graceEndsAt: Date | null;
}

export interface StandingInput {
  tenantCreatedAt: Date;
  account: { subscriptionStatus: StripeSubscriptionStatus | null; pastDueSince: Date | null } | null;
}

/** How Stripe's subscription statuses fold into ours; null: no subscription that counts (yet). */
function statusOf(stripe: StripeSubscriptionStatus | null): Exclude<BillingStatus, 'trial' | 'expired'> | null {
  switch (stripe) {
    case 'active':
    case 'trialing':
      return 'active';
    case 'past_due':
    case 'unpaid':
      return 'past_due';
    case 'canceled':
    case 'incomplete_expired':
    case 'paused':
      return 'cancelled';
    default:
      // 'incomplete' (the first payment has not gone through) and no subscription at all: the trial decides.
      return null;
  }
}

/**
 * Where a company stands at `now`: trial or active → full access; past due → full for GRACE_DAYS from
 * the first failed payment, with a banner, then read-only; cancelled or an ended trial → read-only.
 * Read-only never blocks reading, export, signing in, billing or account security (see access-gate.ts).
 */
export function standingOf(input: StandingInput, now: Date): Standing {
  const trialEndsAt = new Date(input.tenantCreatedAt.getTime() + TRIAL_DAYS * DAY_MS);
  const status = statusOf(input.account?.subscriptionStatus ?? null);
  if (status === null) {
    const inTrial = now < trialEndsAt;
    return {
      plan: 'trial',
      status: inTrial ? 'trial' : 'expired',
      access: inTrial ? 'full' : 'read_only',
      banner: inTrial ? null : 'read_only',
      trialEndsAt,
      graceEndsAt: null,
    };
  }
  if (status === 'past_due') {
    // A past-due state without its start (never expected) counts from now: the grace is never skipped.
    const since = input.account?.pastDueSince ?? now;
    const graceEndsAt = new Date(since.getTime() + GRACE_DAYS * DAY_MS);
    const inGrace = now < graceEndsAt;
    return {
      plan: 'subscription',
      status,
      access: inGrace ? 'full' : 'read_only',
      banner: inGrace ? 'payment_failed' : 'read_only',
      trialEndsAt,
      graceEndsAt,
    };
  }
  return {
    plan: 'subscription',
    status,
    access: status === 'active' ? 'full' : 'read_only',
    banner: status === 'active' ? null : 'read_only',
    trialEndsAt,
    graceEndsAt: null,
  };
}
