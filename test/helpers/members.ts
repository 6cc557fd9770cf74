import { hashPassword } from '../../src/identity/password-hashing.js';
import { login, STRONG_PASSWORD, uniqueEmail, uniqueMobile, type Client, type Registered, type TestApp } from './test-app.js';

export interface Member {
  client: Client;
  userId: string;
  email: string;
  phone: string;
  password: string;
}

/**
 * Adds an active user to a company (as the invitation flow would once it exists) and signs them in
 * through the real login: password, then the code from the fake Twilio.
 */
export async function addMember(
  t: TestApp,
  company: Pick<Registered, 'tenantId'>,
  options: { role?: 'master' | 'member'; name?: string } = {},
): Promise<Member> {
  const email = uniqueEmail('member');
  const phone = uniqueMobile();
  const passwordHash = await hashPassword(STRONG_PASSWORD);
  const [user] = await t.db.asOwner<{ id: string }>(
    `INSERT INTO users (tenant_id, name, email, phone_e164, phone_country, password_hash, role, status, activated_at)
     VALUES ($1, $2, $3, $4, 'CH', $5, $6, 'active', now()) RETURNING id`,
    [company.tenantId, options.name ?? 'Milton Waddams', email, phone, passwordHash, options.role ?? 'member'],
  );
  await t.db.asOwner('INSERT INTO account_emails (email, tenant_id, user_id) VALUES ($1, $2, $3)', [email, company.tenantId, user!.id]);
  const client = await login(t, { email, password: STRONG_PASSWORD, phone });
  return { client, userId: user!.id, email, phone, password: STRONG_PASSWORD };
}

/** Creates an access group with the given members, straight in the database (group routes come later). */
export async function createGroup(t: TestApp, tenantId: string, name: string, memberIds: string[]): Promise<string> {
  const [group] = await t.db.asOwner<{ id: string }>('INSERT INTO access_groups (tenant_id, name) VALUES ($1, $2) RETURNING id', [
    tenantId,
    name,
  ]);
  for (const userId of memberIds) {
    await t.db.asOwner('INSERT INTO access_group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)', [
      tenantId,
      group!.id,
      userId,
    ]);
  }
  return group!.id;
}
