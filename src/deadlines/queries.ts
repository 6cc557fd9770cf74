import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';

export interface DeadlineCandidate {
  id: string;
  title: string;
  vendor_id: string;
  vendor_name: string;
  ends_on: string;
  notice_period_days: number | null;
  auto_renew: boolean;
  renewal_term_months: number | null;
}

/**
 * Running contracts that can have a deadline between `from` and `to`: visible ones only (row-level
 * security decides), with an end date. A fixed-term contract qualifies when its end is not past and its
 * notice date (end minus notice period) is not after `to`; an auto-renewing one always does, because its
 * current term is rolled forward in code.
 */
export function listDeadlineCandidates(tx: Tx, window: { from: string; to: string }): Promise<DeadlineCandidate[]> {
  return tx
    .selectFrom('contracts as c')
    .innerJoin('vendors as v', 'v.id', 'c.vendor_id')
    .select([
      'c.id',
      'c.title',
      'c.vendor_id',
      'v.name as vendor_name',
      'c.ends_on',
      'c.notice_period_days',
      'c.auto_renew',
      'c.renewal_term_months',
    ])
    .$narrowType<{ ends_on: string }>()
    .where('c.kind', '=', 'contract')
    .where('c.status', '=', 'active')
    .where('c.archived_at', 'is', null)
    .where('c.ends_on', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('c.auto_renew', '=', true),
        eb.and([eb('c.ends_on', '>=', window.from), sql<boolean>`c.ends_on - coalesce(c.notice_period_days, 0) <= ${window.to}::date`]),
      ]),
    )
    .orderBy('c.id')
    .execute();
}
