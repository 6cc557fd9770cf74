import { Type } from '@sinclair/typebox';
import { ListQuery, Nullable, Uuid } from '../http/schema-types.js';

export const Document = Type.Object({
  id: Uuid,
  filename: Type.String({ maxLength: 255 }),
  contentType: Type.Union([Type.Literal('application/pdf'), Type.Literal('image/png'), Type.Literal('image/jpeg')]),
  size: Type.Integer({ minimum: 1, maximum: 26_214_400 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  uploadedAt: Type.String(),
  uploadedBy: Uuid,
});

export const DocumentList = Type.Object({ items: Type.Array(Document), nextCursor: Nullable(Type.String()) });

export const DocumentListQuery = Type.Object({ ...ListQuery }, { additionalProperties: false });

const Bytes = { type: 'string', format: 'binary' } as const;
/** A download's answer: the stored bytes in their own media type (documented; a stream is never serialized). */
export const DocumentBytes = {
  description: 'The document’s bytes, with Content-Disposition: attachment.',
  content: { 'application/pdf': { schema: Bytes }, 'image/png': { schema: Bytes }, 'image/jpeg': { schema: Bytes } },
};
