import type { Tx } from '../db/tenant-context.js';
import { addDays, currentTerm, todayUtc } from './dates.js';
import * as queries from './queries.js';
import { MAX_DEADLINES } from './schemas.js';

export type DeadlineType = 'notice' | 'end';

export interface ContractDates {
  endsOn: string;
  noticePeriodDays: number | null;
  autoRenew: boolean;
  renewalTermMonths: number | null;
}

/**
 * A running contract's deadlines as of `today`.
 *
 * - Fixed term: `end` is its end date; `notice` (end minus notice period) only when a notice period is
 *   recorded — without one there is no notice date to claim.
 * - Auto-renewing: the current term rolled forward (see currentTerm). Its `notice` date is when notice must
 *   be given at the latest, and `end` is the earliest date the contract can actually end — the end of that
 *   term. A term end whose notice date passed without notice is a renewal, not an end, so it is not shown.
 *   Without a recorded notice period, notice is due by the end of the term (period 0).
 */
export function contractDeadlines(contract: ContractDates, today: string): Array<{ type: DeadlineType; date: string }> {
  if (!contract.autoRenew) {
    const notice =
      contract.noticePeriodDays == null ? [] : [{ type: 'notice' as const, date: addDays(contract.endsOn, -contract.noticePeriodDays) }];
    return [...notice, { type: 'end', date: contract.endsOn }];
  }
  const term = currentTerm({ ...contract, noticePeriodDays: contract.noticePeriodDays ?? 0 }, today);
  return [
    { type: 'notice', date: term.noticeDeadline },
    { type: 'end', date: term.endsOn },
  ];
}

const TYPE_ORDER: Record<DeadlineType, number> = { notice: 0, end: 1 };

/**
 * Notice and end dates from today to today + withinDays (inclusive) over the running contracts the caller
 * can see, soonest first, at most `limit` of them. `today` is injectable for tests; over HTTP it is always the server's UTC date.
 */
export async function listDeadlines(tx: Tx, query: { withinDays?: number; limit?: number }, today: string = todayUtc()) {
  const until = addDays(today, query.withinDays ?? 90);
  const candidates = await queries.listDeadlineCandidates(tx, { from: today, to: until });
  const deadlines = candidates.flatMap((contract) =>
    contractDeadlines(
      {
        endsOn: contract.ends_on,
        noticePeriodDays: contract.notice_period_days,
        autoRenew: contract.auto_renew,
        renewalTermMonths: contract.renewal_term_months,
      },
      today,
    )
      .filter((deadline) => deadline.date >= today && deadline.date <= until)
      .map((deadline) => ({
        contractId: contract.id,
        title: contract.title,
        vendor: { id: contract.vendor_id, name: contract.vendor_name },
        type: deadline.type,
        date: deadline.date,
      })),
  );
  return deadlines
    .sort(
      (a, b) =>
        compare(a.date, b.date) ||
        TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
        compare(a.title, b.title) ||
        compare(a.contractId, b.contractId),
    )
    .slice(0, query.limit ?? MAX_DEADLINES);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
