import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from './db/engine.js';
import { todayUtc } from './deadlines/dates.js';
import { enterTenant, inTenant } from './db/tenant-context.js';
import { fillDemoVault, type VaultSummary } from './demo/fill-vault.js';
import { hashPassword } from './identity/password-hashing.js';
import * as queries from './identity/queries.js';

export const DEMO_EMAIL = 'demo@pactum.example';
export const DEMO_PHONE = '+41791234567';
export const DEMO_COMPANY = 'Demo Company AG';

export interface DemoCompany {
  email: string;
  password: string;
  vault: VaultSummary;
}

class DemoExists extends Error {}

/**
 * A ready demo company whose master can sign in at once, with a living vault: five vendors, several years
 * of contracts, pending proposals and deadlines in the coming weeks (dates count from `today`). The phone
 * is a Swiss mobile number, so with the console provider the login code appears in the server's console.
 * Everything happens in one transaction, so a failure leaves nothing behind; running it again changes
 * nothing and returns null.
 */
export async function createDemoCompany(database: Database, options: { today?: string } = {}): Promise<DemoCompany | null> {
  const today = options.today ?? todayUtc();
  const password = `demo-${randomBytes(9).toString('base64url')}-vault`;
  const passwordHash = await hashPassword(password);
  const tenantId = randomUUID();
  try {
    const vault = await inTenant(database.kysely, { tenantId, userId: null }, async (tx) => {
      await queries.insertTenant(tx, { id: tenantId, name: DEMO_COMPANY });
      const user = await queries.insertUser(tx, {
        name: 'Dana Demo',
        email: DEMO_EMAIL,
        phoneE164: DEMO_PHONE,
        phoneCountry: 'CH',
        passwordHash,
        role: 'master',
        status: 'pending',
      });
      // Throwing rolls the half-made tenant back.
      if (!(await queries.claimEmail(tx, DEMO_EMAIL, user.id))) throw new DemoExists();
      await queries.activateSignup(tx, user.id);
      // From here on the demo master writes, as a signed-in master would (no session is needed for that).
      await enterTenant(tx, { tenantId, userId: user.id });
      return fillDemoVault(tx, { sessionId: '', tenantId, userId: user.id, role: 'master', authenticatedAt: new Date() }, today);
    });
    return { email: DEMO_EMAIL, password, vault };
  } catch (error) {
    if (error instanceof DemoExists) return null;
    throw error;
  }
}
