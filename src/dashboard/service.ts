import { activeSpendByVendor, listContractViews } from '../contracts/queries.js';
import { todayUtc } from '../deadlines/dates.js';
import { listDeadlines } from '../deadlines/service.js';
import type { Tx } from '../db/tenant-context.js';
import * as queries from './queries.js';
import {
  DEADLINE_WINDOW_DAYS,
  MAX_NEXT_DEADLINES,
  MAX_PENDING_PROPOSALS,
  MAX_SPEND_ENTRIES,
  SPEND_VENDORS_PER_CURRENCY,
} from './schemas.js';

/**
 * What needs a decision, in one answer: counts, what the active contracts come to per vendor and currency,
 * the next deadlines and the newest pending proposals. Each section is one statement and reuses the
 * definition of the screen it summarises (the contract list and its totals, the holdings, the deadlines),
 * so the dashboard never disagrees with them. Row-level security decides what the caller sees throughout.
 * `today` is injectable for tests; over HTTP it is always the server's UTC date.
 */
export async function dashboard(tx: Tx, today: string = todayUtc()) {
  const counts = await queries.countDashboard(tx, today);
  const spend = await activeSpendByVendor(tx, { perCurrency: SPEND_VENDORS_PER_CURRENCY, entries: MAX_SPEND_ENTRIES });
  const nextDeadlines = await listDeadlines(tx, { withinDays: DEADLINE_WINDOW_DAYS, limit: MAX_NEXT_DEADLINES }, today);
  const proposals = await listContractViews(tx, { kind: 'proposal', status: 'pending', after: null, limit: MAX_PENDING_PROPOSALS });
  return {
    counts: {
      contracts: counts.contracts,
      pendingProposals: counts.pending_proposals,
      vendors: counts.vendors,
      products: counts.products,
      holdings: counts.holdings,
    },
    spendByVendor: spend.map((row) => ({
      vendorId: row.vendor_id,
      vendorName: row.vendor_name,
      currency: row.currency,
      total: row.total,
      contracts: row.contracts,
    })),
    nextDeadlines,
    pendingProposals: proposals.slice(0, MAX_PENDING_PROPOSALS).map((row) => ({
      id: row.id,
      title: row.title,
      vendorId: row.vendor_id,
      vendorName: row.vendor_name,
      currency: row.currency,
      total: row.net,
      supersedesId: row.supersedes_id,
      signedOn: row.signed_on,
      createdAt: row.created_at.toISOString(),
    })),
  };
}
