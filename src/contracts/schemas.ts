import { Type, type Static } from '@sinclair/typebox';
import type { ContractKind, ContractStatus } from '../db/schema.js';
import {
  BlockSize,
  Currency,
  DateString,
  ListQuery,
  Money,
  MultiLine,
  Nullable,
  Percent,
  Quantity,
  SingleLine,
  Uuid,
  listOf,
} from '../http/schema-types.js';

/** One clean "must be equal to one of the allowed values" error instead of a union's pile of them. */
const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const contractKinds = ['contract', 'proposal'] as const satisfies readonly ContractKind[];
export const contractStatuses = [
  'active',
  'expired',
  'terminated',
  'pending',
  'accepted',
  'rejected',
  'superseded',
] as const satisfies readonly ContractStatus[];

const Kind = StringEnum(contractKinds);
const Status = StringEnum(contractStatuses);
const Title = SingleLine({ minLength: 1, maxLength: 300, nonBlank: true });
const Reference = SingleLine({ minLength: 1, maxLength: 100 });
const Terms = MultiLine({ maxLength: 20_000 });
const NoticePeriodDays = Type.Integer({ minimum: 0, maximum: 3650 });
const RenewalTermMonths = Type.Integer({ minimum: 1, maximum: 120 });
const GroupIds = Type.Array(Uuid, { maxItems: 50, uniqueItems: true });

export const MAX_LINE_ITEMS = 500;

/** netUnitPrice may be left out: it is then listUnitPrice × (1 − discountPercent / 100), rounded half-up to 4 places. */
export const LineItemInput = Type.Object(
  {
    productId: Uuid,
    quantity: Quantity,
    blockSize: Type.Optional(BlockSize),
    listUnitPrice: Money,
    discountPercent: Type.Optional(Nullable(Percent)),
    netUnitPrice: Type.Optional(Money),
    maintenancePercent: Type.Optional(Nullable(Percent)),
    terms: Type.Optional(Nullable(MultiLine({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);
const LineItems = Type.Array(LineItemInput, { maxItems: MAX_LINE_ITEMS });

const editableFields = {
  vendorId: Uuid,
  reference: Nullable(Reference),
  title: Title,
  status: Status,
  signedOn: Nullable(DateString),
  startsOn: DateString,
  endsOn: Nullable(DateString),
  noticePeriodDays: Nullable(NoticePeriodDays),
  autoRenew: Type.Boolean(),
  renewalTermMonths: Nullable(RenewalTermMonths),
  currency: Currency,
  managerId: Uuid,
  groupIds: GroupIds,
  terms: Nullable(Terms),
  lineItems: LineItems,
};

/** kind and supersedesId are fixed at creation: a chain of versions or renewals can then never loop. */
export const ContractInput = Type.Object(
  {
    vendorId: editableFields.vendorId,
    kind: Type.Optional(Kind),
    reference: Type.Optional(editableFields.reference),
    title: editableFields.title,
    status: Type.Optional(editableFields.status),
    signedOn: Type.Optional(editableFields.signedOn),
    startsOn: editableFields.startsOn,
    endsOn: Type.Optional(editableFields.endsOn),
    noticePeriodDays: Type.Optional(editableFields.noticePeriodDays),
    autoRenew: Type.Optional(editableFields.autoRenew),
    renewalTermMonths: Type.Optional(editableFields.renewalTermMonths),
    currency: editableFields.currency,
    managerId: Type.Optional(editableFields.managerId),
    groupIds: Type.Optional(editableFields.groupIds),
    terms: Type.Optional(editableFields.terms),
    supersedesId: Type.Optional(Nullable(Uuid)),
    lineItems: Type.Optional(editableFields.lineItems),
  },
  { additionalProperties: false },
);
export type ContractInput = Static<typeof ContractInput>;

/** lineItems, when present, replace the whole set. */
export const ContractPatch = Type.Partial(Type.Object(editableFields), { additionalProperties: false, minProperties: 1 });
export type ContractPatch = Static<typeof ContractPatch>;

export const ContractListQuery = Type.Object(
  {
    vendorId: Type.Optional(Uuid),
    kind: Type.Optional(Kind),
    status: Type.Optional(Status),
    q: Type.Optional(SingleLine({ maxLength: 200 })),
    ...ListQuery,
  },
  { additionalProperties: false },
);
export type ContractListQuery = Static<typeof ContractListQuery>;

/** The list's filters without paging: totals cover every page. */
export const ContractTotalsQuery = Type.Object(
  {
    vendorId: ContractListQuery.properties.vendorId,
    kind: ContractListQuery.properties.kind,
    status: ContractListQuery.properties.status,
    q: ContractListQuery.properties.q,
  },
  { additionalProperties: false },
);
export type ContractTotalsQuery = Static<typeof ContractTotalsQuery>;

/**
 * Money and percentages leave as PostgreSQL renders numeric(19, 4) and numeric(7, 4): a decimal string with
 * exactly four fraction digits ("1234.5000", "20.0000"). Totals are computed in SQL numeric and rounded
 * half-up to four places, so they have the same form.
 */
const Decimal = Type.String();

const Totals = Type.Object({
  currency: Type.String(),
  list: Decimal,
  net: Decimal,
  discount: Decimal,
  annualMaintenance: Decimal,
  lineItems: Type.Integer(),
});

const LineItem = Type.Object({
  id: Uuid,
  productId: Uuid,
  quantity: Type.Integer(),
  blockSize: Type.Integer(),
  listUnitPrice: Decimal,
  discountPercent: Nullable(Decimal),
  netUnitPrice: Decimal,
  maintenancePercent: Nullable(Decimal),
  terms: Nullable(Type.String()),
});

const summaryFields = {
  id: Uuid,
  vendorId: Uuid,
  kind: Type.String(),
  reference: Nullable(Type.String()),
  title: Type.String(),
  status: Type.String(),
  signedOn: Nullable(Type.String()),
  startsOn: Type.String(),
  endsOn: Nullable(Type.String()),
  noticePeriodDays: Nullable(Type.Integer()),
  autoRenew: Type.Boolean(),
  renewalTermMonths: Nullable(Type.Integer()),
  currency: Type.String(),
  managerId: Uuid,
  groupIds: Type.Array(Uuid),
  supersedesId: Nullable(Uuid),
  totals: Totals,
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const Contract = Type.Object({ ...summaryFields, terms: Nullable(Type.String()), lineItems: Type.Array(LineItem) });
export const ContractSummary = Type.Object({ ...summaryFields, vendorName: Type.String() });
export const ContractList = listOf(ContractSummary);

/**
 * One row per currency of the listed contracts: a currency is 3 letters A–Z (the body pattern), so the
 * list is bounded by construction (src/http/list-bounds.ts), in practice a handful.
 */
export const ContractTotals = Type.Object({
  items: Type.Array(Type.Object({ currency: Type.String(), total: Decimal, count: Type.Integer({ minimum: 1 }) })),
});

/** How far a version chain is followed each way from the contract asked about. */
export const MAX_VERSIONS_EACH_WAY = 50;

export const ContractVersions = Type.Object({
  items: Type.Array(ContractSummary, { maxItems: 2 * MAX_VERSIONS_EACH_WAY + 1 }),
  truncated: Type.Boolean(),
});

export const VendorContractTotals = Type.Object({
  vendorId: Uuid,
  contracts: Type.Integer(),
  totalsByCurrency: Type.Array(
    Type.Object({ currency: Type.String(), net: Decimal, annualMaintenance: Decimal, contracts: Type.Integer() }),
  ),
});
