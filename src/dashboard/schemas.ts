import { Type } from '@sinclair/typebox';
import { Deadline } from '../deadlines/schemas.js';
import { Nullable, Uuid } from '../http/schema-types.js';

/** The dashboard shows the next twelve months of deadlines (UI.md: "timeline of the next 12 months"). */
export const DEADLINE_WINDOW_DAYS = 365;
export const MAX_NEXT_DEADLINES = 12;
export const MAX_PENDING_PROPOSALS = 10;
export const SPEND_VENDORS_PER_CURRENCY = 10;
/** 10 vendors each for the 50 currencies with the most active contracts: far beyond any real company. */
export const MAX_SPEND_ENTRIES = 500;

/** Decimal strings as PostgreSQL renders numeric(19, 4): four fraction digits ("1234.5000"). */
const Decimal = Type.String();

export const Dashboard = Type.Object({
  counts: Type.Object({
    contracts: Type.Integer({ minimum: 0 }),
    pendingProposals: Type.Integer({ minimum: 0 }),
    vendors: Type.Integer({ minimum: 0 }),
    products: Type.Integer({ minimum: 0 }),
    holdings: Type.Integer({ minimum: 0 }),
  }),
  spendByVendor: Type.Array(
    Type.Object({
      vendorId: Uuid,
      vendorName: Type.String(),
      currency: Type.String(),
      total: Decimal,
      contracts: Type.Integer({ minimum: 1 }),
    }),
    { maxItems: MAX_SPEND_ENTRIES },
  ),
  nextDeadlines: Type.Array(Deadline, { maxItems: MAX_NEXT_DEADLINES }),
  pendingProposals: Type.Array(
    Type.Object({
      id: Uuid,
      title: Type.String(),
      vendorId: Uuid,
      vendorName: Type.String(),
      currency: Type.String(),
      total: Decimal,
      supersedesId: Nullable(Uuid),
      signedOn: Nullable(Type.String()),
      createdAt: Type.String(),
    }),
    { maxItems: MAX_PENDING_PROPOSALS },
  ),
});
