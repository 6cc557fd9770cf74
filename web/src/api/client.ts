import createClient, { type Middleware } from 'openapi-fetch';
import { ApiProblem, problemFrom } from './problem';
import type { paths } from './schema';

/**
 * The typed client for /api/v1, generated from the server's OpenAPI document (web/src/api/openapi.json →
 * schema.d.ts), so a route that changes shape breaks this build instead of a user's screen.
 * Every failure becomes an ApiProblem; a 401 on a signed-in screen means the session ended.
 */
let sessionEndedListener: (() => void) | null = null;

export function onSessionEnded(listener: () => void) {
  sessionEndedListener = listener;
}

// Requests whose 401 is an answer, not a lost session: who-am-I and the sign-in steps themselves.
const SESSIONLESS = [/^\/api\/v1\/me$/, /^\/api\/v1\/auth\//, /^\/api\/v1\/signup$/, /^\/api\/v1\/invitations\//];

const problems: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return undefined;
    const problem = await problemFrom(response);
    const path = new URL(response.url, window.location.origin).pathname;
    if (problem.status === 401 && !SESSIONLESS.some((pattern) => pattern.test(path))) sessionEndedListener?.();
    throw problem;
  },
  onError({ error }) {
    // Network down or the server gone: a problem like any other, with a code the catalogues know.
    return error instanceof ApiProblem ? error : new ApiProblem({ status: 0, code: 'network_error' }, null);
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(problems);

/** The data of a successful call; the middleware has already thrown for anything else. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown }>): Promise<T> {
  const { data, error } = await call;
  if (error !== undefined) throw error instanceof ApiProblem ? error : new ApiProblem({ status: 0, code: 'unexpected_response' }, null);
  return data as T;
}
