import { randomBytes } from 'node:crypto';
import type { E2eServer } from './server.js';

export const PASSWORD = 'correct horse battery staple vault 42';

let counter = 0;

export interface Account {
  email: string;
  password: string;
  phone: string;
  name: string;
  companyName: string;
}

/** A Swiss mobile number and e-mail address of its own per account, so per-number caps never meet. */
export function newAccount(prefix = 'buyer'): Account {
  counter += 1;
  const suffix = randomBytes(3).toString('hex');
  return {
    email: `${prefix}.${counter}.${suffix}@example.com`,
    password: PASSWORD,
    phone: `+4179${String(1_000_000 + Math.floor(Math.random() * 8_999_999)).slice(-7)}`,
    name: `Dana ${prefix[0]!.toUpperCase()}${prefix.slice(1)}`,
    companyName: `Muster ${suffix} AG`,
  };
}

/** Signs a company up over the HTTP API (as a script would), for scenarios that start after sign-up. */
export async function signUpViaApi(server: E2eServer, account: Account): Promise<void> {
  const headers = { 'content-type': 'application/json', origin: server.base };
  const signup = await fetch(`${server.base}/api/v1/signup`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      companyName: account.companyName,
      name: account.name,
      email: account.email,
      phone: account.phone,
      password: account.password,
    }),
  });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const { challenge } = (await signup.json()) as { challenge: { id: string } };
  const code = await server.codeFor(account.phone);
  const verify = await fetch(`${server.base}/api/v1/auth/challenges/${challenge.id}/verify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code }),
  });
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${await verify.text()}`);
}
