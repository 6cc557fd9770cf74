/**
 * Every error leaves as application/problem+json (RFC 9457) with a stable snake_case `code` that
 * clients branch on. Titles are fixed per code; `detail` explains this occurrence.
 */
export const problemTitles = {
  validation_failed: 'The request is not valid',
  malformed_body: 'The request body could not be read',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  payload_too_large: 'The request body is too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  overloaded: 'The service is busy',
  internal_error: 'Something went wrong on our side',
  unauthenticated: 'Sign-in required',
  forbidden: 'Not allowed',
  origin_mismatch: 'Request origin not allowed',
  invalid_credentials: 'E-mail or password is wrong',
  invalid_phone: 'This phone number cannot receive codes',
  unsupported_country: 'Codes cannot be sent to this country',
  weak_password: 'Choose a stronger password',
  email_taken: 'This e-mail address is already registered',
  invalid_code: 'The code is not right',
  challenge_expired: 'This code has expired',
  channel_unavailable: 'This number cannot be reached that way',
  delivery_failed: 'The code could not be sent',
  reauthentication_required: 'Confirm it is you',
  service_unavailable: 'Service unavailable',
  name_taken: 'This name is taken',
  vendor_in_use: 'The vendor is still in use',
  product_in_use: 'The product is still in use',
  invalid_transition: 'This status change is not possible',
  proposal_decided: 'A decided proposal keeps its offer as it was',
  document_integrity_failed: 'The stored document failed its integrity check',
  group_in_use: 'The access group still restricts contracts',
  handover_required: 'Contracts would be left without anyone who can see them',
  last_master: 'A company needs at least one active master',
  invitation_expired: 'This invitation can no longer be used',
  token_expired: 'This link can no longer be used',
  import_invalid: 'Some rows of the file are not valid',
  invalid_signature: 'The webhook signature is not valid',
  subscription_inactive: 'Your subscription does not allow changes right now',
  vault_not_empty: 'The vault already holds data',
} as const;

export type ProblemCode = keyof typeof problemTitles;

/**
 * The one HTTP status each code is answered with. The OpenAPI document groups a route's codes by it, and
 * the documentation check (src/http/openapi.ts) refuses a code answered with any other status.
 */
export const problemStatuses: Record<ProblemCode, number> = {
  validation_failed: 400,
  malformed_body: 400,
  invalid_signature: 400,
  invalid_phone: 400,
  unsupported_country: 400,
  weak_password: 400,
  invalid_code: 400,
  channel_unavailable: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  subscription_inactive: 402,
  forbidden: 403,
  origin_mismatch: 403,
  reauthentication_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  name_taken: 409,
  vendor_in_use: 409,
  product_in_use: 409,
  group_in_use: 409,
  invalid_transition: 409,
  proposal_decided: 409,
  handover_required: 409,
  last_master: 409,
  import_invalid: 422,
  vault_not_empty: 409,
  challenge_expired: 410,
  invitation_expired: 410,
  token_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  document_integrity_failed: 500,
  delivery_failed: 502,
  overloaded: 503,
  service_unavailable: 503,
};

export interface FieldError {
  path: string;
  message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    // A refusal (4xx) is an answer, not a fault: its stack is never logged, and capturing one cost a
    // twentieth of the server's CPU while it refused a flood (saturation drill). 5xx keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(detail ?? problemTitles[code]);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ProblemError';
  }
}

export function problemBody(status: number, code: ProblemCode, detail?: string, extensions: Record<string, unknown> = {}) {
  return {
    type: `https://pactum.dev/problems/${code.replaceAll('_', '-')}`,
    title: problemTitles[code],
    status,
    code,
    detail: detail ?? problemTitles[code],
    ...extensions,
  };
}

export const notFound = (detail = 'Nothing here, or nothing you may see.') => new ProblemError(404, 'not_found', detail);
export const unauthenticated = () => new ProblemError(401, 'unauthenticated', 'Sign in to continue.');
export const rateLimited = (retryAfterSeconds: number, detail = 'Too many attempts; try again later.') =>
  new ProblemError(429, 'rate_limited', detail, { retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
