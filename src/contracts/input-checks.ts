import type { Tx } from '../db/tenant-context.js';
import { ProblemError, type FieldError } from '../http/problem.js';
import { isActiveUser } from '../identity/actor.js';
import { findVendor } from '../vendors/queries.js';
import * as queries from './queries.js';
import type { ContractInput } from './schemas.js';

/**
 * Checks of a contract write that the schema cannot make: dates against each other, and ids that must
 * name something the caller can see. An id that does not exist or is invisible is a field error (400), not
 * a 404: the resource in the URL exists. Errors are collected so one answer names every failing path.
 */
export type Errors = FieldError[];

export function throwIfAny(errors: Errors): void {
  if (errors.length > 0) throw new ProblemError(400, 'validation_failed', 'Some fields are missing or not valid.', { errors });
}

export function checkTerm(
  errors: Errors,
  term: { startsOn: string; endsOn: string | null; autoRenew: boolean; renewalTermMonths: number | null },
) {
  // YYYY-MM-DD strings compare like the dates they name.
  if (term.endsOn !== null && term.endsOn < term.startsOn) errors.push({ path: 'body:/endsOn', message: 'must not be before startsOn' });
  if (term.autoRenew) {
    if (term.endsOn === null) errors.push({ path: 'body:/endsOn', message: 'is required when autoRenew is true' });
    if (term.renewalTermMonths === null) errors.push({ path: 'body:/renewalTermMonths', message: 'is required when autoRenew is true' });
  }
}

export async function checkVendor(tx: Tx, errors: Errors, vendorId: string) {
  if (!(await findVendor(tx, vendorId))) errors.push({ path: 'body:/vendorId', message: 'is not a known vendor' });
}

export async function checkManager(tx: Tx, errors: Errors, managerId: string) {
  if (!(await isActiveUser(tx, managerId))) errors.push({ path: 'body:/managerId', message: 'is not an active user of your company' });
}

/** Returns whether every group exists, so that membership is only judged against real groups. */
export async function checkGroups(tx: Tx, errors: Errors, groupIds: string[]): Promise<boolean> {
  const known = await queries.existingGroupIds(tx, groupIds);
  groupIds.forEach((id, index) => {
    if (!known.has(id)) errors.push({ path: `body:/groupIds/${index}`, message: 'is not a known access group' });
  });
  return known.size === groupIds.length;
}

/**
 * A restricted contract must stay visible to the person writing it (nobody locks themself out) and to its
 * manager (nobody manages what they cannot see).
 */
export async function checkAccess(
  tx: Tx,
  errors: Errors,
  access: { groupIds: string[]; managerId: string; callerId: string; groupsChanged: boolean },
) {
  if (access.groupIds.length === 0) return;
  const path = access.groupsChanged ? 'body:/groupIds' : 'body:/managerId';
  if (!(await queries.isMemberOfAny(tx, access.managerId, access.groupIds))) {
    errors.push({ path, message: 'the manager is in none of these access groups and would lose access to the contract' });
  }
  if (access.managerId !== access.callerId && !(await queries.isMemberOfAny(tx, access.callerId, access.groupIds))) {
    errors.push({ path, message: 'you are in none of these access groups and would lose access to the contract' });
  }
}

/** Resolves each line item's product (which must be the contract vendor's) and its default block size. */
export async function checkLineItems(
  tx: Tx,
  errors: Errors,
  items: NonNullable<ContractInput['lineItems']>,
  vendorId: string,
): Promise<queries.NewLineItem[]> {
  const products = new Map((await queries.findProducts(tx, [...new Set(items.map((item) => item.productId))])).map((p) => [p.id, p]));
  return items.map((item, index) => {
    const product = products.get(item.productId);
    if (!product) errors.push({ path: `body:/lineItems/${index}/productId`, message: 'is not a known product' });
    else if (product.vendor_id !== vendorId)
      errors.push({ path: `body:/lineItems/${index}/productId`, message: "is not a product of the contract's vendor" });
    return {
      productId: item.productId,
      quantity: item.quantity,
      blockSize: item.blockSize ?? product?.block_size ?? 1,
      listUnitPrice: item.listUnitPrice,
      discountPercent: item.discountPercent ?? null,
      netUnitPrice: item.netUnitPrice ?? null,
      maintenancePercent: item.maintenancePercent ?? null,
      terms: item.terms ?? null,
    };
  });
}

/** When the vendor changes but the line items stay, the products they name must follow the vendor. */
export async function checkKeptLineItems(tx: Tx, errors: Errors, contractId: string, vendorId: string) {
  const vendors = await queries.lineItemVendorIds(tx, contractId);
  if (vendors.some((id) => id !== vendorId)) {
    errors.push({ path: 'body:/vendorId', message: 'the line items name products of another vendor; replace them in the same request' });
  }
}
