import { expect } from 'vitest';
import type { FakeSmtp } from '../fakes/fake-smtp.js';
import { Client, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';

export const patch = (client: Client, url: string, payload: unknown) =>
  client.request({ method: 'PATCH', url, payload: payload as object });
export const remove = (client: Client, url: string) => client.request({ method: 'DELETE', url });

/** Moves every live session of the user back past the 15-minute step-up window. */
export async function ageAuthentication(t: TestApp, userId: string, minutes = 16) {
  await t.db.asOwner(`UPDATE sessions SET authenticated_at = now() - make_interval(mins => $2::int) WHERE user_id = $1`, [userId, minutes]);
}

/** A fresh code for the session of `client` (POST /auth/step-up, then verify). */
export async function stepUp(t: TestApp, client: Client, phone: string) {
  const started = await client.post('/api/v1/auth/step-up');
  expect(started.statusCode, started.body).toBe(200);
  const verified = await client.post(`/api/v1/auth/challenges/${started.json().challenge.id}/verify`, {
    code: t.twilio.lastCodeFor(phone),
  });
  expect(verified.statusCode, verified.body).toBe(200);
}

export interface Invited {
  userId: string;
  email: string;
  url: string;
  token: string;
  expiresAt: string;
}

export async function invite(
  client: Client,
  options: { name?: string; email?: string; role?: 'master' | 'member' } = {},
): Promise<Invited> {
  const email = options.email ?? uniqueEmail('invitee');
  const response = await client.post('/api/v1/users', {
    name: options.name ?? 'Peter Gibbons',
    email,
    ...(options.role ? { role: options.role } : {}),
  });
  expect(response.statusCode, response.body).toBe(201);
  const body = response.json();
  return {
    userId: body.user.id,
    email,
    url: body.invitation.url,
    token: body.invitation.url.split('/').pop(),
    expiresAt: body.invitation.expiresAt,
  };
}

export interface Joined {
  client: Client;
  userId: string;
  email: string;
  phone: string;
  password: string;
}

/** Accepts an invitation on a fresh client and verifies the code: a signed-in, active user. */
export async function acceptInvite(t: TestApp, invited: Invited, phone = uniqueMobile()): Promise<Joined> {
  const client = new Client(t);
  const accepted = await client.post(`/api/v1/invitations/${invited.token}/accept`, { password: STRONG_PASSWORD, phone });
  expect(accepted.statusCode, accepted.body).toBe(201);
  const verified = await client.post(`/api/v1/auth/challenges/${accepted.json().challenge.id}/verify`, {
    code: t.twilio.lastCodeFor(phone),
  });
  expect(verified.statusCode, verified.body).toBe(200);
  return { client, userId: verified.json().user.id, email: invited.email, phone, password: STRONG_PASSWORD };
}

/** Inserts a vendor straight into the database (as the owner), for contracts arranged the same way. */
export async function ownerVendor(t: TestApp, tenantId: string, name: string): Promise<string> {
  const [row] = await t.db.asOwner<{ id: string }>('INSERT INTO vendors (tenant_id, name) VALUES ($1, $2) RETURNING id', [tenantId, name]);
  return row!.id;
}

/**
 * Inserts a contract as the owner: the visibility rules of the contract routes (the manager must see
 * what they manage) do not apply, so states that predate those rules can be arranged too.
 */
export async function ownerContract(
  t: TestApp,
  tenantId: string,
  spec: { vendorId: string; title: string; managerId: string; groupIds?: string[]; archived?: boolean },
) {
  const [row] = await t.db.asOwner<{ id: string }>(
    `INSERT INTO contracts (tenant_id, vendor_id, kind, title, status, starts_on, currency, manager_id, archived_at)
     VALUES ($1, $2, 'contract', $3, 'active', '2024-01-01', 'EUR', $4, $5) RETURNING id`,
    [tenantId, spec.vendorId, spec.title, spec.managerId, spec.archived ? new Date() : null],
  );
  for (const groupId of spec.groupIds ?? []) {
    await t.db.asOwner('INSERT INTO contract_groups (tenant_id, contract_id, group_id) VALUES ($1, $2, $3)', [tenantId, row!.id, groupId]);
  }
  return row!.id;
}

/** Contracts of the tenant that nobody active could see or that an inactive user manages: must stay empty. */
export async function orphanedContracts(t: TestApp, tenantId: string) {
  return t.db.asOwner<{ id: string; reason: string }>(
    `SELECT c.id, 'restricted, no active user in its groups' AS reason
       FROM contracts c
      WHERE c.tenant_id = $1 AND c.archived_at IS NULL AND c.restricted
        AND NOT EXISTS (SELECT 1 FROM contract_groups g
                          JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id
                          JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id AND u.status = 'active'
                         WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id)
     UNION ALL
     SELECT c.id, 'managed by an inactive user'
       FROM contracts c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.manager_id
      WHERE c.tenant_id = $1 AND c.archived_at IS NULL AND u.status <> 'active'`,
    [tenantId],
  );
}

export interface StoredEvent {
  seq: string;
  action: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

/** The tenant's audit trail as stored, oldest first (read as the owner). */
export function storedEvents(t: TestApp, tenantId: string): Promise<StoredEvent[]> {
  return t.db.asOwner<StoredEvent>(
    `SELECT seq::text, action, actor_id, target_type, target_id, client_ip, user_agent, outcome, details
       FROM audit_events WHERE tenant_id = $1 ORDER BY audit_events.seq`,
    [tenantId],
  );
}

/** Asserts the tenant's chain: seq 1..n without gaps, each prev_hash the hash before, each hash recomputable. */
export async function expectIntactChain(t: TestApp, tenantId: string) {
  const rows = await t.db.asOwner<{ seq: string; prev_hash: Uint8Array | null; hash: Uint8Array; recomputed: Uint8Array }>(
    'SELECT seq::text, prev_hash, hash, pactum_audit_hash(e) AS recomputed FROM audit_events e WHERE tenant_id = $1 ORDER BY e.seq',
    [tenantId],
  );
  expect(rows.length).toBeGreaterThan(0);
  rows.forEach((row, index) => {
    expect(row.seq).toBe(String(index + 1));
    const previous = index === 0 ? null : Buffer.from(rows[index - 1]!.hash).toString('hex');
    expect(row.prev_hash === null ? null : Buffer.from(row.prev_hash).toString('hex')).toBe(previous);
    expect(Buffer.from(row.hash).toString('hex')).toBe(Buffer.from(row.recomputed).toString('hex'));
  });
}

/** The text of the newest mail to `address`, decoded from quoted-printable; waits for background sends. */
export async function mailTo(smtp: FakeSmtp, address: string, options: { after?: number; timeoutMs?: number } = {}): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const messages = smtp.messages.slice(options.after ?? 0).filter((message) => message.to.includes(address));
    const last = messages.at(-1);
    if (last) return decodeBody(last.data);
    if (Date.now() > deadline) throw new Error(`no mail to ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function decodeBody(data: string): string {
  const split = data.indexOf('\r\n\r\n');
  const headers = data.slice(0, split);
  const body = data.slice(split + 4);
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(headers)) return body;
  return body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function linkToken(text: string, path: 'password-reset' | 'invitations'): string {
  const match = new RegExp(`/${path}/([A-Za-z0-9_-]+)`).exec(text);
  if (!match) throw new Error(`no /${path}/ link in: ${text}`);
  return match[1]!;
}
