import type { Selectable } from 'kysely';
import type { LineItemsTable } from '../db/schema.js';
import type { ContractViewRow } from './queries.js';

/**
 * One object literal per row, extended in place: the list maps 50 rows per request, and copying each with
 * spread syntax cost more than building it.
 */
function summaryFields(row: ContractViewRow) {
  return {
    id: row.id,
    vendorId: row.vendor_id,
    kind: row.kind,
    reference: row.reference,
    title: row.title,
    status: row.status,
    signedOn: row.signed_on,
    startsOn: row.starts_on,
    endsOn: row.ends_on,
    noticePeriodDays: row.notice_period_days,
    autoRenew: row.auto_renew,
    renewalTermMonths: row.renewal_term_months,
    currency: row.currency,
    managerId: row.manager_id,
    groupIds: row.group_ids,
    supersedesId: row.supersedes_id,
    totals: {
      currency: row.currency,
      list: row.list,
      net: row.net,
      discount: row.discount,
      annualMaintenance: row.annual_maintenance,
      lineItems: row.line_item_count,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function contractSummaryView(row: ContractViewRow) {
  return Object.assign(summaryFields(row), { vendorName: row.vendor_name });
}

export function contractView(row: ContractViewRow, lineItems: Selectable<LineItemsTable>[]) {
  return {
    ...summaryFields(row),
    terms: row.terms,
    lineItems: lineItems.map((item) => ({
      id: item.id,
      productId: item.product_id,
      quantity: item.quantity,
      blockSize: item.block_size,
      listUnitPrice: item.list_unit_price,
      discountPercent: item.discount_percent,
      netUnitPrice: item.net_unit_price,
      maintenancePercent: item.maintenance_percent,
      terms: item.terms,
    })),
  };
}
