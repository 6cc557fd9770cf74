import type { Account } from './accounts.js';
import { codesSentTo, type E2eServer } from './server.js';

/** A signed-in HTTP client for setting a scene over the API (as a script would), e.g. a master inviting. */
export interface ApiSession {
  post(path: string, body?: unknown): Promise<Response>;
}

export async function signInViaApi(server: E2eServer, account: Account): Promise<ApiSession> {
  const headers = { 'content-type': 'application/json', origin: server.base };
  const before = codesSentTo(server, account.phone);
  const login = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  const { challenge } = (await login.json()) as { challenge: { id: string } };
  const code = await server.codeFor(account.phone, before);
  const verify = await fetch(`${server.base}/api/v1/auth/challenges/${challenge.id}/verify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code }),
  });
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${await verify.text()}`);
  const cookie = verify.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
  return {
    post: (path, body) =>
      fetch(`${server.base}${path}`, {
        method: 'POST',
        headers: body === undefined ? { origin: server.base, cookie } : { ...headers, cookie },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}
