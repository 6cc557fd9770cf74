import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import type { FieldError } from './problem.js';

/**
 * Two validators: bodies are JSON and must match exactly (no coercion, so the number 12.5 is not the
 * decimal string "12.5"; unknown fields are errors, never silently dropped), while path and query
 * parameters are strings by nature and may be coerced to the declared integers and booleans.
 */
function createAjv(coerceTypes: boolean) {
  const ajv = new Ajv({ coerceTypes, removeAdditional: false, useDefaults: true, allErrors: true, strict: true });
  addFormats.default(ajv, ['email', 'uuid', 'date', 'date-time', 'uri']);
  return ajv;
}

const bodyAjv = createAjv(false);
const parameterAjv = createAjv(true);

export function validatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }) {
  const ajv = httpPart === 'body' ? bodyAjv : parameterAjv;
  return ajv.compile(schema);
}

/** Turns Ajv's errors into `{ path, message }` with a JSON Pointer into the request part. */
export function fieldErrors(errors: FastifySchemaValidationError[], part: string | undefined): FieldError[] {
  return errors.map((error) => {
    const e = error as unknown as ErrorObject;
    let path = e.instancePath ?? '';
    let message = e.message ?? 'is not valid';
    if (e.keyword === 'additionalProperties') {
      path += `/${String(e.params.additionalProperty)}`;
      message = 'is not an allowed field';
    } else if (e.keyword === 'required') {
      path += `/${String(e.params.missingProperty)}`;
      message = 'is required';
    }
    return { path: `${part ?? 'body'}:${path || '/'}`, message };
  });
}
