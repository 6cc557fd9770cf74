/** An API answer that is not a success: the server's problem+json, kept whole so screens can branch on `code`. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  [extension: string]: unknown;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: ProblemBody;
  /** Seconds from `Retry-After`, when the server said how long to wait. */
  readonly retryAfterSeconds: number | null;

  constructor(body: ProblemBody, retryAfterSeconds: number | null) {
    super(body.detail ?? body.title ?? body.code);
    this.name = 'ApiProblem';
    this.status = body.status;
    this.code = body.code;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isProblem(error: unknown, code?: string): error is ApiProblem {
  return error instanceof ApiProblem && (code === undefined || error.code === code);
}

/**
 * The server names a field as `body:/lineItems/0/quantity`; forms name it `lineItems.0.quantity`.
 * Only body fields belong next to an input; the rest is shown above the form.
 */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof ApiProblem) || !error.body.errors) return {};
  const fields: Record<string, string> = {};
  for (const { path, message } of error.body.errors) {
    if (!path.startsWith('body:/') || path === 'body:/') continue;
    const field = path.slice('body:/'.length).split('/').join('.');
    fields[field] ??= message;
  }
  return fields;
}

/** Turns a failed fetch into an ApiProblem; a body that is not problem+json still gets a stable code. */
export async function problemFrom(response: Response): Promise<ApiProblem> {
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let body: ProblemBody = { status: response.status, code: response.status >= 500 ? 'internal_error' : 'unexpected_response' };
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      const parsed = (await response.clone().json()) as Partial<ProblemBody>;
      if (typeof parsed.code === 'string') body = { ...parsed, status: response.status, code: parsed.code };
    } catch {
      // Not JSON after all: keep the generic body.
    }
  }
  return new ApiProblem(body, retryAfterSeconds);
}
