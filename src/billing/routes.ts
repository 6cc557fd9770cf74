import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AuditingSessionGuard } from '../audit/refusals.js';
import { auditContext } from '../audit/request-context.js';
import type { Schema } from '../db/schema.js';
import { ProblemError } from '../http/problem.js';
import * as schemas from './schemas.js';
import type { SeatSync } from './seat-sync.js';
import { billingOverview, openPortal, startCheckout, type BillingDeps } from './service.js';
import { isSignatureError } from './stripe-gateway.js';
import { applyEvent } from './webhook.js';

export interface BillingRouteOptions {
  deps: BillingDeps;
  kysely: Kysely<Schema>;
  withSession: AuditingSessionGuard;
  seatSync: SeatSync;
}

const tags = ['Billing'];

/** The app's own limit: Stripe's events are far smaller, and a refused event would be retried for days. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** Requests after which who is active may have changed: each nudges the seat sync once committed. */
const SEAT_CHANGES = new Set([
  'POST /api/v1/users/:id/revoke',
  'POST /api/v1/auth/challenges/:id/verify',
  'PATCH /api/v1/users/:id',
  'POST /api/v1/users',
]);

/**
 * Billing (issue 12): the masters' overview, Stripe hosted Checkout and Customer Portal, and Stripe's
 * signed webhook. Registered only when billing is configured; without it these routes answer 404.
 */
export const billingRoutes: FastifyPluginAsyncTypebox<BillingRouteOptions> = async (app, { deps, kysely, withSession, seatSync }) => {
  const clock = deps.clock ?? (() => new Date());

  app.get('/api/v1/billing', {
    config: { problems: ['forbidden'] },
    schema: {
      summary: "The company's plan, subscription status, seats and billing period (masters)",
      operationId: 'getBilling',
      tags,
      response: { 200: schemas.BillingOverview },
    },
    handler: (request) => withSession(request, (tx, actor) => billingOverview(tx, actor, clock())),
  });

  app.post('/api/v1/billing/checkout', {
    config: { problems: ['forbidden', 'invalid_transition'] },
    schema: {
      summary: "Start a subscription: the URL of Stripe's hosted Checkout page to send the browser to (masters)",
      operationId: 'startCheckout',
      tags,
      response: { 200: schemas.HostedPage },
    },
    handler: (request) =>
      startCheckout(
        deps,
        (work) => withSession(request, work),
        (actor) => auditContext(request, actor),
      ),
  });

  app.post('/api/v1/billing/portal', {
    config: { problems: ['forbidden', 'invalid_transition'] },
    schema: {
      summary: "Manage the subscription: the URL of Stripe's Customer Portal (card, invoices, cancellation; masters)",
      operationId: 'openBillingPortal',
      tags,
      response: { 200: schemas.HostedPage },
    },
    handler: (request) =>
      openPortal(
        deps,
        (work) => withSession(request, work),
        (actor) => auditContext(request, actor),
      ),
  });

  await app.register(async (webhook) => {
    // This scope alone reads its body raw: the signature covers the exact bytes Stripe sent, so they must
    // not be parsed and re-serialised first. Only JSON is accepted; every other route keeps the app's parsers.
    webhook.removeAllContentTypeParsers();
    webhook.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );
    webhook.post('/api/v1/billing/webhook', {
      // No session: Stripe authenticates each event with its signature (STRIPE_WEBHOOK_SECRET), checked first.
      config: { public: true, problems: ['invalid_signature'] },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        summary: 'Stripe webhook: signed subscription, checkout and invoice events (called by Stripe)',
        operationId: 'receiveStripeWebhook',
        tags,
        response: { 200: schemas.WebhookReceived },
      },
      handler: async (request) => {
        const signature = request.headers['stripe-signature'];
        if (!Buffer.isBuffer(request.body) || typeof signature !== 'string' || signature.length > 4096) throw invalidSignature();
        let event;
        try {
          event = await deps.stripe.verifyEvent(request.body, signature);
        } catch (error) {
          if (isSignatureError(error)) throw invalidSignature();
          throw error;
        }
        const result = await applyEvent({ kysely, logger: request.log }, event);
        request.log.info({ eventId: event.id, eventType: event.type, result }, 'Stripe event received');
        if (result === 'applied' && event.type === 'checkout.session.completed') seatSync.nudge();
        return { received: true as const };
      },
    });
  });
};

/**
 * Once a request that may have changed who is active has answered (its transaction committed), the seat
 * sync brings Stripe's quantity up to date. Added to the root instance so it sees the team's routes.
 */
export function registerSeatSyncNudge(app: FastifyInstance, seatSync: SeatSync) {
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 300 && SEAT_CHANGES.has(`${request.method} ${request.routeOptions.url}`)) seatSync.nudge();
  });
  // A nudged run finishes before the pool closes.
  app.addHook('onClose', async () => seatSync.idle());
}

const invalidSignature = () =>
  new ProblemError(400, 'invalid_signature', 'The Stripe-Signature header does not match this body, or it is older than 5 minutes.');
