import { sql } from 'kysely';
import { recordAudit, type AuditContext } from '../audit/record.js';
import { todayUtc } from '../deadlines/dates.js';
import type { Tx } from '../db/tenant-context.js';
import { ProblemError } from '../http/problem.js';
import type { Actor } from '../identity/actor.js';
import { fillDemoVault } from './fill-vault.js';

/** Whether the tenant (row-level security decides which) has any vendor, product or contract yet. */
async function vaultIsEmpty(tx: Tx): Promise<boolean> {
  const { rows } = await sql<{ empty: boolean }>`
    SELECT NOT (EXISTS (SELECT 1 FROM vendors) OR EXISTS (SELECT 1 FROM products) OR EXISTS (SELECT 1 FROM contracts)) AS empty
  `.execute(tx);
  return rows[0]!.empty;
}

/**
 * Fills the caller's empty vault with the demo data in the request's transaction: all of it or, on any
 * failure, nothing. The tenant row is locked first, so two clicks at once cannot both find the vault
 * empty; the second waits, then finds it full.
 */
export async function loadDemoData(tx: Tx, actor: Actor, audit: AuditContext, today = todayUtc()) {
  await sql`SELECT id FROM tenants WHERE id = ${actor.tenantId} FOR UPDATE`.execute(tx);
  if (!(await vaultIsEmpty(tx))) {
    throw new ProblemError(
      409,
      'vault_not_empty',
      'The demo data can only be loaded into an empty vault: this company already has vendors, products or contracts.',
    );
  }
  const summary = await fillDemoVault(tx, actor, today);
  const loaded = {
    vendors: summary.vendors,
    products: summary.products,
    contracts: summary.contracts,
    proposals: summary.proposals,
    pendingProposals: summary.pendingProposals,
  };
  await recordAudit(tx, audit, { action: 'demo.data_loaded', target: { type: 'tenant', id: actor.tenantId }, details: loaded });
  return loaded;
}
