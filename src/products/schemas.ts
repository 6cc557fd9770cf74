import { Type } from '@sinclair/typebox';
import { BlockSize, ListQuery, Metric, Nullable, SingleLine, Uuid, listOf } from '../http/schema-types.js';

const Name = SingleLine({ minLength: 1, maxLength: 200, nonBlank: true });
const Sku = SingleLine({ minLength: 1, maxLength: 100 });

export const ProductInput = Type.Object(
  { vendorId: Uuid, name: Name, sku: Type.Optional(Nullable(Sku)), metric: Metric, blockSize: Type.Optional(BlockSize) },
  { additionalProperties: false },
);
export const ProductPatch = Type.Object(
  { name: Type.Optional(Name), sku: Type.Optional(Nullable(Sku)), metric: Type.Optional(Metric), blockSize: Type.Optional(BlockSize) },
  { additionalProperties: false, minProperties: 1 },
);
export const ProductListQuery = Type.Object(
  { vendorId: Type.Optional(Uuid), q: Type.Optional(SingleLine({ maxLength: 200 })), ...ListQuery },
  { additionalProperties: false },
);

export const Product = Type.Object({
  id: Uuid,
  vendorId: Uuid,
  name: Type.String(),
  sku: Nullable(Type.String()),
  metric: Type.String(),
  blockSize: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const ProductList = listOf(Product);
