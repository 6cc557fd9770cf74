import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import type { BillingConfig } from '../config.js';
import type { Schema } from '../db/schema.js';
import type { Tx } from '../db/tenant-context.js';
import type { SessionCookies } from '../identity/sessions.js';
import type { SessionTenants } from '../identity/session-tenants.js';
import { registerBillingAccessGate } from './access-gate.js';
import { billingRoutes, registerSeatSyncNudge } from './routes.js';
import { createSeatSync } from './seat-sync.js';
import { billingSummary } from './service.js';
import { createStripeGateway } from './stripe-gateway.js';

export type BillingSummaryOf = (tx: Tx) => Promise<{ enabled: false } | Awaited<ReturnType<typeof billingSummary>>>;

/**
 * Turns billing on for an app: the read-only gate and the seat-sync nudge on every route (call before
 * other routes are registered), and the billing routes. Returns what GET /api/v1/me shows of it.
 */
export async function registerBilling(
  app: FastifyInstance,
  options: {
    config: BillingConfig;
    publicUrl: URL;
    kysely: Kysely<Schema>;
    cookies: SessionCookies;
    sessionTenants: SessionTenants;
    withSession: AuditingSessionGuard;
  },
): Promise<BillingSummaryOf> {
  const stripe = createStripeGateway(options.config);
  const seatSync = createSeatSync({ kysely: options.kysely, stripe, logger: app.log });
  registerBillingAccessGate(app, { kysely: options.kysely, cookies: options.cookies, sessionTenants: options.sessionTenants });
  registerSeatSyncNudge(app, seatSync);
  await app.register(billingRoutes, {
    deps: { stripe, publicUrl: options.publicUrl, logger: app.log },
    kysely: options.kysely,
    withSession: options.withSession,
    seatSync,
  });
  return (tx) => billingSummary(tx, new Date());
}
