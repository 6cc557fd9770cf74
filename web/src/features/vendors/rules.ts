import type { TFunction } from 'i18next';

/** The server's rules (src/vendors/schemas.ts, src/products/schemas.ts), checked before sending. */
export const METRICS = [
  'user',
  'named_user',
  'concurrent_user',
  'device',
  'core',
  'processor',
  'server',
  'instance',
  'site',
  'enterprise',
  'subscription',
  'other',
] as const;
export type Metric = (typeof METRICS)[number];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function nameError(value: string, max: number, t: TFunction): string | null {
  if (value.trim() === '') return t('rules.required');
  if (value.length > max) return t('rules.tooLong', { max });
  if (CONTROL.test(value)) return t('rules.singleLine');
  return null;
}

export function integerError(value: string | number, min: number, max: number, t: TFunction): string | null {
  const text = String(value).trim();
  if (text === '') return t('rules.required');
  if (!/^[0-9]+$/.test(text)) return t('rules.integer');
  const number = Number(text);
  if (number < min || number > max) return t('rules.between', { min, max });
  return null;
}

export interface VendorValues {
  name: string;
  website: string;
  notes: string;
}

export function vendorRules(t: TFunction) {
  return {
    name: (value: string) => nameError(value, 200, t),
    website: (value: string) => {
      if (value.trim() === '') return null;
      if (value.length > 500) return t('rules.tooLong', { max: 500 });
      try {
        const url = new URL(value.trim());
        return /^https?:$/.test(url.protocol) && /^https?:\/\//.test(value.trim()) ? null : t('rules.website');
      } catch {
        return t('rules.website');
      }
    },
    notes: (value: string) => (value.length > 10_000 ? t('rules.tooLong', { max: 10_000 }) : null),
  };
}

export function vendorBody(values: VendorValues) {
  return {
    name: values.name.trim(),
    website: values.website.trim() === '' ? null : values.website.trim(),
    notes: values.notes.trim() === '' ? null : values.notes,
  };
}

export interface ProductValues {
  name: string;
  sku: string;
  metric: Metric;
  blockSize: string;
}

export function productRules(t: TFunction) {
  return {
    name: (value: string) => nameError(value, 200, t),
    sku: (value: string) => (value.trim() === '' ? null : value.length > 100 ? t('rules.tooLong', { max: 100 }) : null),
    blockSize: (value: string) => integerError(value, 1, 1_000_000_000, t),
  };
}

export function productBody(values: ProductValues) {
  return {
    name: values.name.trim(),
    sku: values.sku.trim() === '' ? null : values.sku.trim(),
    metric: values.metric,
    blockSize: Number(values.blockSize),
  };
}
