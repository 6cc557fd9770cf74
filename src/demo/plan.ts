import type { ContractStatus, LicenceMetric } from '../db/schema.js';
import { addDays, addMonths } from '../deadlines/dates.js';

/**
 * The demo vault as plain data: what a mid-sized Swiss company bought from five software vendors over the
 * last few years. Dates are computed from the day the demo is created, so its history always reaches back
 * about four years and its notice deadlines are always weeks away, never in the past.
 */
export interface DemoProduct {
  key: string;
  name: string;
  sku: string;
  metric: LicenceMetric;
  blockSize: number;
}

export interface DemoLineItem {
  product: string;
  quantity: number;
  listUnitPrice: string;
  discountPercent?: string;
  maintenancePercent?: string;
  terms?: string;
}

export interface DemoDeal {
  key: string;
  kind?: 'contract' | 'proposal';
  status?: ContractStatus;
  reference: string;
  title: string;
  signedOn?: string;
  startsOn: string;
  endsOn?: string;
  noticePeriodDays?: number;
  autoRenew?: boolean;
  renewalTermMonths?: number;
  terms?: string;
  /** The key of the deal this one renews or revises. */
  supersedes?: string;
  lineItems: DemoLineItem[];
}

export interface DemoVendor {
  name: string;
  website: string;
  notes: string;
  aliases: string[];
  currency: string;
  metrics: Array<{ metric: LicenceMetric; definition: string }>;
  products: DemoProduct[];
  deals: DemoDeal[];
}

/** A term of `months` that ends on `endsOn` (inclusive), e.g. 12 months ending 2026-03-31 start 2025-04-01. */
export function termEnding(endsOn: string, months: number): { startsOn: string; endsOn: string } {
  return { startsOn: addDays(addMonths(endsOn, -months), 1), endsOn };
}

/** A term of `months` that starts on `startsOn`. */
export function termStarting(startsOn: string, months: number): { startsOn: string; endsOn: string } {
  return { startsOn, endsOn: addDays(addMonths(startsOn, months), -1) };
}

export const yearOf = (date: string) => date.slice(0, 4);

/** "2023–2026" for a term, or one year when it starts and ends in the same one. */
export function years(term: { startsOn: string; endsOn: string }): string {
  return yearOf(term.startsOn) === yearOf(term.endsOn) ? yearOf(term.startsOn) : `${yearOf(term.startsOn)}–${yearOf(term.endsOn)}`;
}

/** A vendor-style reference: prefix, the year of the date, a number. */
export function reference(prefix: string, date: string, number: number): string {
  return `${prefix}-${yearOf(date)}-${String(number).padStart(4, '0')}`;
}
