import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { readInTenant } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import { hashToken, type SessionCookies } from '../identity/sessions.js';
import type { SessionTenants } from '../identity/session-tenants.js';
import { currentStanding } from './service.js';
import type { Standing } from './standing.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * State-changing routes a read-only company may still use: signing in and out, its own and its users'
 * account security (password, phone, sessions, roles, revocation — revoking also lowers the bill), and
 * billing itself, so it can pay. Everything else that changes state is refused; reads (GET, including
 * the export) are never refused. Public routes (signup, login, codes, resets, invitations, the Stripe
 * webhook) act for no company's session and pass. A route renamed without this list fails
 * test/billing/access-gate.test.ts.
 */
export const ALLOWED_WHILE_READ_ONLY: ReadonlyArray<{ method: string; url: string }> = [
  { method: 'POST', url: '/api/v1/auth/logout' },
  { method: 'POST', url: '/api/v1/auth/logout-all' },
  { method: 'POST', url: '/api/v1/auth/step-up' },
  { method: 'POST', url: '/api/v1/auth/password' },
  { method: 'POST', url: '/api/v1/auth/challenges/:id/verify' },
  { method: 'POST', url: '/api/v1/auth/challenges/:id/resend' },
  { method: 'POST', url: '/api/v1/me/phone' },
  { method: 'DELETE', url: '/api/v1/sessions/:id' },
  { method: 'POST', url: '/api/v1/users/:id/sessions/end' },
  { method: 'POST', url: '/api/v1/users/:id/revoke' },
  { method: 'PATCH', url: '/api/v1/users/:id' },
  { method: 'POST', url: '/api/v1/billing/checkout' },
  { method: 'POST', url: '/api/v1/billing/portal' },
];

const allowed = new Set(ALLOWED_WHILE_READ_ONLY.map(({ method, url }) => `${method} ${url}`));

export function subscriptionInactive(standing: Standing): ProblemError {
  const detail =
    standing.status === 'past_due'
      ? 'A payment has been outstanding for more than 14 days, so your company can read and export but not change anything. A master can settle it under Billing.'
      : 'Your company has no active subscription, so it can read and export but not change anything. A master can subscribe under Billing.';
  return new ProblemError(402, 'subscription_inactive', detail, { billingStatus: standing.status });
}

/**
 * Read-only by billing state (issue 12): before the body is read, a state-changing request of a signed-in
 * company that is read-only is answered 402 subscription_inactive. Registered after the authentication
 * gate; with billing off it is not registered at all. The company comes from the session (the same
 * cached door the tenant gate uses) and its standing from one short read-only transaction; the request's
 * own transaction still checks the session in full.
 */
export function registerBillingAccessGate(
  app: FastifyInstance,
  options: { kysely: Kysely<Schema>; cookies: SessionCookies; sessionTenants: SessionTenants; clock?: () => Date },
) {
  const now = options.clock ?? (() => new Date());
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!STATE_CHANGING.has(request.method) || !request.url.startsWith('/api/')) return payload;
    const route = request.routeOptions;
    if (route.url === undefined || route.config.public === true || allowed.has(`${request.method} ${route.url}`)) return payload;
    const token = options.cookies.read(request);
    if (!token) return payload;
    const tenantId = await options.sessionTenants.tenantOf(hashToken(token));
    // No live session: the request's own session check answers 401.
    if (!tenantId) return payload;
    const { standing } = await readInTenant(options.kysely, { tenantId, userId: null }, (tx) => currentStanding(tx, now()));
    if (standing.access === 'read_only') throw subscriptionInactive(standing);
    return payload;
  });
}
