import { expect } from 'vitest';
import type { Client, TestApp } from '../helpers/test-app.js';

export const put = (client: Client, url: string) => client.request({ method: 'PUT', url });
export const remove = (client: Client, url: string) => client.request({ method: 'DELETE', url });
export const patch = (client: Client, url: string, payload: unknown) =>
  client.request({ method: 'PATCH', url, payload: payload as object });

export interface GroupBody {
  id: string;
  name: string;
  description: string | null;
  memberIds: string[];
  createdAt: string;
}

/** Creates a group through the API as the given (master) client. */
export async function newGroup(client: Client, name: string, description?: string): Promise<GroupBody> {
  const response = await client.post('/api/v1/groups', { name, ...(description === undefined ? {} : { description }) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

export async function addToGroup(client: Client, groupId: string, userId: string) {
  const response = await put(client, `/api/v1/groups/${groupId}/members/${userId}`);
  expect(response.statusCode, response.body).toBe(204);
}

/** Moves every live session of the user back past the 15-minute step-up window. */
export async function ageAuthentication(t: TestApp, userId: string, minutes = 16) {
  await t.db.asOwner(`UPDATE sessions SET authenticated_at = now() - make_interval(mins => $2::int) WHERE user_id = $1`, [userId, minutes]);
}

export interface StoredEvent {
  seq: string;
  action: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
}

/** The tenant's audit trail as stored, oldest first (read as the owner). */
export async function storedEvents(t: TestApp, tenantId: string, actionPrefix = ''): Promise<StoredEvent[]> {
  return t.db.asOwner<StoredEvent>(
    `SELECT seq::text, action, actor_id, target_type, target_id, details FROM audit_events
      WHERE tenant_id = $1 AND starts_with(action, $2) ORDER BY seq`,
    [tenantId, actionPrefix],
  );
}
