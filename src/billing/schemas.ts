import { Type } from '@sinclair/typebox';
import { Nullable } from '../http/schema-types.js';

const Status = Type.Union(['trial', 'active', 'past_due', 'cancelled', 'expired'].map((value) => Type.Literal(value)));
const Access = Type.Union([Type.Literal('full'), Type.Literal('read_only')]);
const Banner = Nullable(Type.Union([Type.Literal('payment_failed'), Type.Literal('read_only')]));

/** GET /api/v1/billing: API.md's `{ plan, status, seats, currentPeriodEnd }` and what a billing screen shows besides. */
export const BillingOverview = Type.Object({
  plan: Type.Union([Type.Literal('trial'), Type.Literal('subscription')]),
  status: Status,
  /** Active users: what the subscription is billed for. */
  seats: Type.Integer({ minimum: 0 }),
  /** The quantity Stripe last confirmed; differs from `seats` for a moment after someone joins or leaves. */
  subscribedSeats: Nullable(Type.Integer({ minimum: 0 })),
  currentPeriodEnd: Nullable(Type.String()),
  trialEndsAt: Type.String(),
  graceEndsAt: Nullable(Type.String()),
  access: Access,
  banner: Banner,
  /** Whether a customer exists at Stripe, i.e. whether the portal can be opened. */
  portalAvailable: Type.Boolean(),
});

/** The tenant's billing in GET /api/v1/me, for every user: enough for the banner and to explain read-only. */
export const BillingSummary = Type.Union([
  Type.Object({ enabled: Type.Literal(false) }),
  Type.Object({
    enabled: Type.Literal(true),
    status: Status,
    access: Access,
    banner: Banner,
    trialEndsAt: Type.String(),
    graceEndsAt: Nullable(Type.String()),
  }),
]);

export const HostedPage = Type.Object({ url: Type.String() });
export const WebhookReceived = Type.Object({ received: Type.Literal(true) });
