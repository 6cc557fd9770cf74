import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';

/** Takes or renews a job lease; true while we hold it (pactum_take_lease answers NULL when another holder does). */
export async function takeLease(tx: Tx, name: string, holder: string, seconds: number): Promise<boolean> {
  const { rows } = await sql<{ taken: boolean | null }>`SELECT pactum_take_lease(${name}, ${holder}, ${seconds}::integer) AS taken`.execute(
    tx,
  );
  return rows[0]?.taken === true;
}

export async function releaseLease(tx: Tx, name: string, holder: string): Promise<void> {
  await sql`SELECT pactum_release_lease(${name}, ${holder})`.execute(tx);
}

export async function activeTenants(tx: Tx): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`SELECT id FROM pactum_active_tenants() AS id`.execute(tx);
  return rows.map((row) => row.id);
}

export function activeUsers(tx: Tx) {
  return tx.selectFrom('users').select(['id', 'name', 'email', 'role']).where('status', '=', 'active').orderBy('id').execute();
}

/**
 * Running contracts with an end date that this user is to be reminded of, among those row-level security
 * lets the user see: the ones they manage, and — for a master — the ones whose manager is no longer an
 * active user.
 */
export function contractsToRemind(tx: Tx, user: { id: string; role: 'master' | 'member' }) {
  return tx
    .selectFrom('contracts as c')
    .innerJoin('users as m', (join) => join.onRef('m.tenant_id', '=', 'c.tenant_id').onRef('m.id', '=', 'c.manager_id'))
    .innerJoin('vendors as v', (join) => join.onRef('v.tenant_id', '=', 'c.tenant_id').onRef('v.id', '=', 'c.vendor_id'))
    .select([
      'c.id',
      'c.title',
      'v.name as vendor_name',
      'c.ends_on',
      'c.notice_period_days',
      'c.auto_renew',
      'c.renewal_term_months',
      'c.manager_id',
    ])
    .$narrowType<{ ends_on: string }>()
    .where('c.kind', '=', 'contract')
    .where('c.status', '=', 'active')
    .where('c.archived_at', 'is', null)
    .where('c.ends_on', 'is not', null)
    .where((eb) =>
      user.role === 'master' ? eb.or([eb('c.manager_id', '=', user.id), eb('m.status', '!=', 'active')]) : eb('c.manager_id', '=', user.id),
    )
    .orderBy('c.id')
    .execute();
}

export interface DeliveryKey {
  contractId: string;
  deadline: string;
  leadDays: number;
  recipientId: string;
}

/** Failures after which a reminder is no longer claimed again. */
export const MAX_SEND_FAILURES = 5;

/**
 * Records a reminder as ours to send. The primary key (contract, type, deadline, lead, recipient) makes the
 * claim unique across runs and nodes: false means it is recorded already and not ours to send — sent, being
 * sent, of unknown outcome, or out of tries. A reminder whose last send the server certainly did not take
 * is claimed again: the claim clears `retryable`, so a run that dies while sending leaves it alone.
 */
export async function claimDelivery(tx: Tx, delivery: DeliveryKey): Promise<boolean> {
  const row = await tx
    .insertInto('reminder_deliveries')
    .values(keyOf(delivery))
    .onConflict((conflict) =>
      conflict
        .columns(['tenant_id', 'contract_id', 'deadline_type', 'deadline', 'lead_days', 'recipient_id'])
        .doUpdateSet({ retryable: false, claimed_at: sql`now()` })
        .where('reminder_deliveries.sent_at', 'is', null)
        .where('reminder_deliveries.retryable', '=', true)
        .where('reminder_deliveries.failures', '<', MAX_SEND_FAILURES),
    )
    .returning('contract_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The primary key of one reminder; tenant_id is the column default on insert, and row-level security keeps updates in the tenant. */
function keyOf(delivery: DeliveryKey) {
  return {
    contract_id: delivery.contractId,
    deadline_type: 'notice' as const,
    deadline: delivery.deadline,
    lead_days: delivery.leadDays,
    recipient_id: delivery.recipientId,
  };
}

export async function markSent(tx: Tx, delivery: DeliveryKey): Promise<void> {
  await tx
    .updateTable('reminder_deliveries')
    .set({ sent_at: sql`now()`, retryable: false })
    .where((eb) => eb.and(keyOf(delivery)))
    .execute();
}

/** Counts a failed send; `retryable` when the server certainly does not have the message. */
export async function markFailed(tx: Tx, delivery: DeliveryKey, failure: { reason: string; retryable: boolean }): Promise<void> {
  await tx
    .updateTable('reminder_deliveries')
    .set((eb) => ({ failures: eb('failures', '+', 1), retryable: failure.retryable, last_failure: failure.reason.slice(0, 200) }))
    .where((eb) => eb.and(keyOf(delivery)))
    .where('sent_at', 'is', null)
    .execute();
}
