import { Type } from '@sinclair/typebox';
import { ListQuery, Metric, MultiLine, Nullable, SingleLine, Uuid, listOf } from '../http/schema-types.js';

const Name = SingleLine({ minLength: 1, maxLength: 200, nonBlank: true });
const Website = Type.String({ maxLength: 500, format: 'uri', pattern: '^https?://' });
const Notes = MultiLine({ maxLength: 10_000 });
const Aliases = Type.Array(SingleLine({ minLength: 1, maxLength: 200 }), { maxItems: 50, uniqueItems: true });

export const VendorInput = Type.Object(
  { name: Name, website: Type.Optional(Nullable(Website)), notes: Type.Optional(Nullable(Notes)), aliases: Type.Optional(Aliases) },
  { additionalProperties: false },
);
export const VendorPatch = Type.Partial(VendorInput, { additionalProperties: false, minProperties: 1 });
export const VendorListQuery = Type.Object(
  { q: Type.Optional(SingleLine({ maxLength: 200 })), ...ListQuery },
  { additionalProperties: false },
);

export const Vendor = Type.Object({
  id: Uuid,
  name: Type.String(),
  website: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  aliases: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const VendorList = listOf(Vendor);

export const MetricDefinitions = Type.Object(
  {
    items: Type.Array(
      Type.Object({ metric: Metric, definition: MultiLine({ minLength: 1, maxLength: 5000 }) }, { additionalProperties: false }),
      { maxItems: 12 },
    ),
  },
  { additionalProperties: false },
);
