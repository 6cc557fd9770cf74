import { Type, type TSchema } from '@sinclair/typebox';
import type { LicenceMetric } from '../db/schema.js';

/** Shared wire types (API.md conventions): every string bounded, every number ranged. */
export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });

/** Decimal strings, never JSON numbers: up to 15 integer and 4 fraction digits. */
export const Money = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$', maxLength: 20 });
export const Percent = Type.String({ pattern: '^(100(\\.0{1,4})?|[0-9]{1,2}(\\.[0-9]{1,4})?)$', maxLength: 8 });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 });
export const DateString = Type.String({ format: 'date', maxLength: 10 });
export const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
export const BlockSize = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });

export const licenceMetrics = [
  'user', 'named_user', 'concurrent_user', 'device', 'core', 'processor', 'server', 'instance', 'site', 'enterprise', 'subscription', 'other',
] as const satisfies readonly LicenceMetric[];
export const Metric = Type.Unsafe<LicenceMetric>({ type: 'string', enum: [...licenceMetrics] });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
};

export const listOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
