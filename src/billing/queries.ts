import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';
import type { SubscriptionState } from './subscription-state.js';

/** The current tenant's billing row (row-level security picks the tenant), or undefined while on the trial. */
export function findAccount(tx: Tx) {
  return tx.selectFrom('billing_accounts').selectAll().executeTakeFirst();
}

/** The same, locked until the transaction ends: webhook events of one company apply one after the other. */
export function lockAccount(tx: Tx) {
  return tx.selectFrom('billing_accounts').selectAll().forUpdate().executeTakeFirst();
}

export async function tenantCreatedAt(tx: Tx): Promise<Date> {
  const tenant = await tx.selectFrom('tenants').select('created_at').executeTakeFirstOrThrow();
  return new Date(tenant.created_at);
}

/** Seats are the active users: pending invitees and revoked users are not billed. */
export async function countActiveUsers(tx: Tx): Promise<number> {
  const row = await tx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What Stripe's customer record is made of: the company's name and the e-mail of the master who subscribes. */
export async function customerDetails(tx: Tx, userId: string) {
  const tenant = await tx.selectFrom('tenants').select('name').executeTakeFirstOrThrow();
  const user = await tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow();
  return { name: tenant.name, email: user.email };
}

/** Keeps the first customer recorded for the company; returns the one that is kept. */
export async function recordCustomer(tx: Tx, customerId: string): Promise<string> {
  await tx
    .insertInto('billing_accounts')
    .values({ stripe_customer_id: customerId })
    .onConflict((conflict) => conflict.column('tenant_id').doNothing())
    .execute();
  const row = await tx.selectFrom('billing_accounts').select('stripe_customer_id').executeTakeFirstOrThrow();
  return row.stripe_customer_id;
}

/** The tenant behind a Stripe customer id (migration 0016's door; the webhook has no session). */
export async function customerTenant(tx: Tx, customerId: string): Promise<string | null> {
  const { rows } = await sql<{ tenant_id: string | null }>`SELECT pactum_billing_customer_tenant(${customerId}) AS tenant_id`.execute(tx);
  return rows[0]?.tenant_id ?? null;
}

/** True the first time an event id is seen; false for a replay. */
export async function claimEvent(tx: Tx, eventId: string, eventType: string): Promise<boolean> {
  const { rows } = await sql<{ claimed: boolean }>`SELECT pactum_billing_claim_event(${eventId}, ${eventType}) AS claimed`.execute(tx);
  return rows[0]?.claimed === true;
}

export function stateOf(row: NonNullable<Awaited<ReturnType<typeof findAccount>>>): SubscriptionState {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    subscriptionId: row.stripe_subscription_id,
    status: row.subscription_status,
    currentPeriodEnd: date(row.current_period_end),
    subscribedSeats: row.subscribed_seats,
    pastDueSince: date(row.past_due_since),
    asOf: date(row.state_as_of),
  };
}

/**
 * Writes the state an event produced. A new subscription (checkout completed) also marks the seats for
 * syncing: people may have joined or left between opening Checkout and paying.
 */
export async function saveState(tx: Tx, state: SubscriptionState, options: { markSeats: boolean }): Promise<void> {
  await tx
    .updateTable('billing_accounts')
    .set((eb) => ({
      stripe_subscription_id: state.subscriptionId,
      subscription_status: state.status,
      current_period_end: state.currentPeriodEnd,
      subscribed_seats: state.subscribedSeats,
      past_due_since: state.pastDueSince,
      state_as_of: state.asOf,
      updated_at: sql`now()`,
      ...(options.markSeats
        ? { seat_version: sql<string>`${eb.ref('seat_version')} + 1`, seat_sync_next_at: sql`now()`, seat_sync_failures: 0 }
        : {}),
    }))
    .execute();
}

/** Companies whose seats are due for syncing now (across tenants, through migration 0016's door). */
export async function seatSyncDue(tx: Tx, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`SELECT id FROM pactum_billing_seat_sync_due(${limit}::integer) AS id`.execute(tx);
  return rows.map((row) => row.id);
}

/**
 * Claims the current company's seat sync for `seconds`, if it is due and nobody holds it, and reads what
 * the sync needs in the same transaction: the version it brings Stripe up to and the active users then.
 */
export async function claimSeatSync(tx: Tx, seconds: number) {
  const claimed = await tx
    .updateTable('billing_accounts')
    .set({ seat_sync_claimed_until: sql`now() + make_interval(secs => ${seconds})` })
    .whereRef('seat_version', '>', 'synced_seat_version')
    .where((eb) => eb.or([eb('seat_sync_claimed_until', 'is', null), eb('seat_sync_claimed_until', '<', sql<Date>`now()`)]))
    .returning(['seat_version', 'stripe_subscription_id', 'subscription_status', 'seat_sync_failures'])
    .executeTakeFirst();
  if (!claimed) return null;
  return { ...claimed, activeUsers: await countActiveUsers(tx) };
}

/** Records the version Stripe now has; a change made meanwhile has a higher version and stays due. */
export async function finishSeatSync(tx: Tx, version: string, seats: number | null): Promise<void> {
  await tx
    .updateTable('billing_accounts')
    .set((eb) => ({
      synced_seat_version: sql`greatest(${eb.ref('synced_seat_version')}, ${version}::bigint)`,
      seat_sync_claimed_until: null,
      seat_sync_failures: 0,
      seat_sync_next_at: sql`now()`,
      seat_sync_last_error: null,
      ...(seats !== null ? { subscribed_seats: seats } : {}),
    }))
    .execute();
}

/** Counts a failed sync and sets when to try again; returns the failures so far. */
export async function failSeatSync(tx: Tx, reason: string, retryInSeconds: number): Promise<number> {
  const row = await tx
    .updateTable('billing_accounts')
    .set((eb) => ({
      seat_sync_claimed_until: null,
      seat_sync_failures: eb('seat_sync_failures', '+', 1),
      seat_sync_next_at: sql`now() + make_interval(secs => ${retryInSeconds})`,
      seat_sync_last_error: reason.slice(0, 200),
    }))
    .returning('seat_sync_failures')
    .executeTakeFirst();
  return row?.seat_sync_failures ?? 0;
}
