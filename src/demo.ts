import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from './db/engine.js';
import { inTenant } from './db/tenant-context.js';
import { hashPassword } from './identity/password-hashing.js';
import * as queries from './identity/queries.js';

export const DEMO_EMAIL = 'demo@pactum.example';
export const DEMO_PHONE = '+41791234567';

class DemoExists extends Error {}

/**
 * A ready demo company whose master can sign in at once. The phone is a Swiss mobile number, so with the
 * console provider the login code appears in the server's console. Running it again changes nothing.
 */
export async function createDemoCompany(database: Database): Promise<{ email: string; password: string } | null> {
  const password = `demo-${randomBytes(9).toString('base64url')}-vault`;
  const passwordHash = await hashPassword(password);
  const tenantId = randomUUID();
  try {
    await inTenant(database.kysely, { tenantId, userId: null }, async (tx) => {
      await queries.insertTenant(tx, { id: tenantId, name: 'Demo Company AG' });
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
    });
    return { email: DEMO_EMAIL, password };
  } catch (error) {
    if (error instanceof DemoExists) return null;
    throw error;
  }
}
