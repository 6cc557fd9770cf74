import { Type } from '@sinclair/typebox';
import { ListQuery, Nullable, Uuid, listOf } from '../http/schema-types.js';

export const HoldingsQuery = Type.Object({ vendorId: Type.Optional(Uuid), ...ListQuery }, { additionalProperties: false });
export const PriceHistoryQuery = Type.Object({ ...ListQuery }, { additionalProperties: false });

const ContractQuantity = Type.Object({ id: Uuid, title: Type.String(), quantity: Type.Integer() });

export const Holding = Type.Object({
  product: Type.Object({ id: Uuid, name: Type.String(), sku: Nullable(Type.String()) }),
  vendor: Type.Object({ id: Uuid, name: Type.String() }),
  metric: Type.String(),
  blockSize: Type.Integer(),
  quantity: Type.Integer(),
  blocks: Type.Integer(),
  contracts: Type.Array(ContractQuantity),
  pendingProposals: Type.Array(ContractQuantity),
});
export const HoldingList = listOf(Holding);

export const PricePoint = Type.Object({
  contractId: Uuid,
  title: Type.String(),
  kind: Type.Union([Type.Literal('contract'), Type.Literal('proposal')]),
  status: Type.String(),
  date: Type.String(),
  lineItemId: Uuid,
  quantity: Type.Integer(),
  listUnitPrice: Type.String(),
  netUnitPrice: Type.String(),
  currency: Type.String(),
});
export const PriceHistory = listOf(PricePoint);
