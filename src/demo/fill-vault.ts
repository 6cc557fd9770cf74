import * as contracts from '../contracts/service.js';
import { listDeadlines } from '../deadlines/service.js';
import type { Tx } from '../db/tenant-context.js';
import type { Actor } from '../identity/actor.js';
import * as products from '../products/service.js';
import * as vendors from '../vendors/service.js';
import type { DemoDeal } from './plan.js';
import { demoVendors } from './vendors.js';

export interface VaultSummary {
  vendors: number;
  products: number;
  contracts: number;
  proposals: number;
  pendingProposals: number;
  /** Notice and end dates in the next 90 days, as GET /api/v1/deadlines lists them. */
  deadlines: number;
  firstYear: string;
}

/**
 * Writes the demo vault through the same services the API calls, as the demo master, in the caller's
 * transaction: vendors with their metric definitions, products, then each vendor's contracts and
 * proposals oldest first, so that renewals and new versions can name what they supersede.
 */
export async function fillDemoVault(tx: Tx, actor: Actor, today: string): Promise<VaultSummary> {
  const summary: VaultSummary = {
    vendors: 0,
    products: 0,
    contracts: 0,
    proposals: 0,
    pendingProposals: 0,
    deadlines: 0,
    firstYear: today.slice(0, 4),
  };
  for (const vendor of demoVendors(today)) {
    const { id: vendorId } = await vendors.createVendor(tx, {
      name: vendor.name,
      website: vendor.website,
      notes: vendor.notes,
      aliases: vendor.aliases,
    });
    await vendors.replaceMetricDefinitions(tx, vendorId, vendor.metrics);
    summary.vendors += 1;

    const productIds = new Map<string, string>();
    for (const product of vendor.products) {
      const created = await products.createProduct(tx, {
        vendorId,
        name: product.name,
        sku: product.sku,
        metric: product.metric,
        blockSize: product.blockSize,
      });
      productIds.set(product.key, created.id);
      summary.products += 1;
    }

    const dealIds = new Map<string, string>();
    for (const deal of vendor.deals) {
      const created = await contracts.createContract(tx, actor, contractInput(deal, vendorId, vendor.currency, productIds, dealIds), {
        actorId: actor.userId,
        ip: null,
        userAgent: 'pactum demo',
      });
      dealIds.set(deal.key, created.id);
      if (deal.kind === 'proposal') summary.proposals += 1;
      else summary.contracts += 1;
      if (deal.startsOn.slice(0, 4) < summary.firstYear) summary.firstYear = deal.startsOn.slice(0, 4);
    }
  }
  // Counted after the writes: a version that superseded another one is no longer pending.
  const pending = await contracts.listContracts(tx, { kind: 'proposal', status: 'pending', limit: 500 });
  summary.pendingProposals = pending.items.length;
  summary.deadlines = (await listDeadlines(tx, { withinDays: 90 }, today)).length;
  return summary;
}

/** The API body (ContractInput) for a deal, with the ids of products and earlier deals filled in. */
export function contractInput(
  deal: DemoDeal,
  vendorId: string,
  currency: string,
  productIds: Map<string, string>,
  dealIds: Map<string, string>,
) {
  const idOf = (ids: Map<string, string>, key: string) => {
    const id = ids.get(key);
    if (!id) throw new Error(`demo data: "${deal.key}" names "${key}", which is not defined before it`);
    return id;
  };
  return {
    vendorId,
    kind: deal.kind ?? 'contract',
    ...(deal.status ? { status: deal.status } : {}),
    reference: deal.reference,
    title: deal.title,
    signedOn: deal.signedOn ?? null,
    startsOn: deal.startsOn,
    endsOn: deal.endsOn ?? null,
    noticePeriodDays: deal.noticePeriodDays ?? null,
    autoRenew: deal.autoRenew ?? false,
    renewalTermMonths: deal.renewalTermMonths ?? null,
    currency,
    terms: deal.terms ?? null,
    supersedesId: deal.supersedes ? idOf(dealIds, deal.supersedes) : null,
    lineItems: deal.lineItems.map((item) => ({
      productId: idOf(productIds, item.product),
      quantity: item.quantity,
      listUnitPrice: item.listUnitPrice,
      discountPercent: item.discountPercent ?? null,
      maintenancePercent: item.maintenancePercent ?? null,
      ...(item.terms ? { terms: item.terms } : {}),
    })),
  } satisfies Parameters<typeof contracts.createContract>[2];
}
