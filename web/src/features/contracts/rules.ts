import type { TFunction } from 'i18next';
import { integerError, nameError } from '../vendors/rules';

/** The server's wire rules (src/http/schema-types.ts, src/contracts/schemas.ts), checked before sending. */
const MONEY = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$/;
const PERCENT = /^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$/;
const DATE = /^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;

export interface LineItemValues {
  productId: string;
  quantity: string;
  blockSize: string;
  listUnitPrice: string;
  discountPercent: string;
  netUnitPrice: string;
  maintenancePercent: string;
  terms: string;
}

export interface ContractValues {
  vendorId: string;
  kind: 'contract' | 'proposal';
  title: string;
  reference: string;
  signedOn: string;
  startsOn: string;
  endsOn: string;
  noticePeriodDays: string;
  autoRenew: boolean;
  renewalTermMonths: string;
  currency: string;
  managerId: string;
  groupIds: string[];
  terms: string;
  lineItems: LineItemValues[];
}

export const emptyLineItem = (): LineItemValues => ({
  productId: '',
  quantity: '',
  blockSize: '',
  listUnitPrice: '',
  discountPercent: '',
  netUnitPrice: '',
  maintenancePercent: '',
  terms: '',
});

const blank = (value: string) => value.trim() === '';

export function moneyError(value: string, t: TFunction, required = true): string | null {
  if (blank(value)) return required ? t('rules.required') : null;
  return MONEY.test(value.trim()) ? null : t('rules.money');
}

export function percentError(value: string, t: TFunction): string | null {
  if (blank(value)) return null;
  return PERCENT.test(value.trim()) ? null : t('rules.percent');
}

export function dateError(value: string, t: TFunction, required: boolean): string | null {
  if (blank(value)) return required ? t('rules.required') : null;
  if (!DATE.test(value)) return t('rules.date');
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCDate() === day ? null : t('rules.date');
}

export function contractRules(t: TFunction) {
  return {
    vendorId: (value: string) => (value === '' ? t('rules.required') : null),
    title: (value: string) => nameError(value, 300, t),
    reference: (value: string) => (blank(value) ? null : value.length > 100 ? t('rules.tooLong', { max: 100 }) : null),
    signedOn: (value: string) => dateError(value, t, false),
    startsOn: (value: string) => dateError(value, t, true),
    endsOn: (value: string, values: ContractValues) => {
      const error = dateError(value, t, values.autoRenew);
      if (error) return error;
      if (!blank(value) && !blank(values.startsOn) && value < values.startsOn) return t('rules.endsBeforeStart');
      return null;
    },
    noticePeriodDays: (value: string) => (blank(value) ? null : integerError(value, 0, 3650, t)),
    renewalTermMonths: (value: string, values: ContractValues) =>
      blank(value) ? (values.autoRenew ? t('rules.renewalRequired') : null) : integerError(value, 1, 120, t),
    currency: (value: string) => (/^[A-Z]{3}$/.test(value) ? null : t('rules.currency')),
    managerId: (value: string) => (value === '' ? t('rules.required') : null),
    terms: (value: string) => (value.length > 20_000 ? t('rules.tooLong', { max: 20_000 }) : null),
    lineItems: {
      productId: (value: string) => (value === '' ? t('rules.required') : null),
      quantity: (value: string) => integerError(value, 0, 1_000_000_000, t),
      blockSize: (value: string) => (blank(value) ? null : integerError(value, 1, 1_000_000_000, t)),
      listUnitPrice: (value: string) => moneyError(value, t),
      discountPercent: (value: string) => percentError(value, t),
      netUnitPrice: (value: string) => moneyError(value, t, false),
      maintenancePercent: (value: string) => percentError(value, t),
      terms: (value: string) => (value.length > 5000 ? t('rules.tooLong', { max: 5000 }) : null),
    },
  };
}

const orNull = (value: string) => (blank(value) ? null : value.trim());
const intOrNull = (value: string) => (blank(value) ? null : Number(value.trim()));

/** The body both POST and PATCH take; kind is fixed at creation, groups and manager change on the contract page. */
export function contractBody(values: ContractValues) {
  return {
    vendorId: values.vendorId,
    title: values.title.trim(),
    reference: orNull(values.reference),
    signedOn: orNull(values.signedOn),
    startsOn: values.startsOn,
    endsOn: orNull(values.endsOn),
    noticePeriodDays: intOrNull(values.noticePeriodDays),
    autoRenew: values.autoRenew,
    renewalTermMonths: intOrNull(values.renewalTermMonths),
    currency: values.currency,
    terms: blank(values.terms) ? null : values.terms,
    lineItems: values.lineItems.map((item) => ({
      productId: item.productId,
      quantity: Number(item.quantity.trim()),
      ...(blank(item.blockSize) ? {} : { blockSize: Number(item.blockSize.trim()) }),
      listUnitPrice: item.listUnitPrice.trim(),
      discountPercent: orNull(item.discountPercent),
      ...(blank(item.netUnitPrice) ? {} : { netUnitPrice: item.netUnitPrice.trim() }),
      maintenancePercent: orNull(item.maintenancePercent),
      terms: blank(item.terms) ? null : item.terms,
    })),
  };
}

/** A stored decimal ("12.5000") back into what a person typed ("12.5"). */
export function trimDecimal(value: string | null): string {
  if (value === null) return '';
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}
