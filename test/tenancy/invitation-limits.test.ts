import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../helpers/members.js';
import { registerCompany, startTestApp, uniqueEmail, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { expectIntactChain, invite, storedEvents } from './helpers.js';

/**
 * Issue 13, point 4 and issue 9, finding 6 (invitation side): at most one invitation per recipient per
 * 10 minutes and a bounded number per company per hour; 409 email_taken stays for invitations, but every
 * such answer is counted against the same limits and audited, like every 429.
 */
describe(`invitation limits (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_INVITATION_TENANT_HOURLY_LIMIT: '4' });
  });
  afterAll(() => t.close());

  const refusals = async (tenantId: string) => (await storedEvents(t, tenantId)).filter((event) => event.action === 'invitation.refused');

  it('refuses a second invitation to one address within 10 minutes with 429 and Retry-After, and audits it', async () => {
    const company = await registerCompany(t);
    const email = uniqueEmail('twice');
    await invite(company.client, { email });
    const again = await company.client.post('/api/v1/users', { name: 'Peter Gibbons', email: email.toUpperCase() });
    expect(again.statusCode).toBe(429);
    expect(again.json().code).toBe('rate_limited');
    const retryAfter = Number(again.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(await refusals(company.tenantId)).toEqual([
      expect.objectContaining({ actor_id: company.userId, outcome: 'denied', details: { email, role: 'member', reason: 'rate_limited' } }),
    ]);
    await expectIntactChain(t, company.tenantId);
  });

  it("refuses invitations over the company's hourly limit, whatever the address", async () => {
    const company = await registerCompany(t);
    for (let i = 0; i < 4; i++) await invite(company.client);
    const over = await company.client.post('/api/v1/users', { name: 'One Too Many', email: uniqueEmail('over') });
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await refusals(company.tenantId)).map((event) => event.details.reason)).toEqual(['rate_limited']);
    const [pending] = await t.db.asOwner<{ count: string }>(
      "SELECT count(*)::text FROM users WHERE tenant_id = $1 AND status = 'pending'",
      [company.tenantId],
    );
    expect(pending!.count).toBe('4');
  });

  it('keeps 409 email_taken for registered addresses, audits each one and counts it against the limits', async () => {
    const company = await registerCompany(t);
    const colleague = await addMember(t, company);
    const stranger = await registerCompany(t);
    const taken = [colleague.email, stranger.email];
    for (const email of taken) {
      const response = await company.client.post('/api/v1/users', { name: 'Someone', email });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('email_taken');
    }
    // The same address again is over its recipient limit: probing it costs as much as inviting it.
    expect((await company.client.post('/api/v1/users', { name: 'Someone', email: stranger.email })).statusCode).toBe(429);
    // Two more attempts of any kind spend the company's hour.
    await invite(company.client);
    expect((await company.client.post('/api/v1/users', { name: 'Someone', email: uniqueEmail('probe') })).statusCode).toBe(201);
    expect((await company.client.post('/api/v1/users', { name: 'Someone', email: uniqueEmail('probe') })).statusCode).toBe(429);

    const logged = await refusals(company.tenantId);
    expect(logged.map((event) => [event.details.email, event.details.reason])).toEqual([
      [colleague.email, 'email_taken'],
      [stranger.email, 'email_taken'],
      [stranger.email, 'rate_limited'],
      [expect.any(String), 'rate_limited'],
    ]);
    expect(logged.every((event) => event.actor_id === company.userId && event.outcome === 'denied')).toBe(true);
  });
});
