import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';
import { addMember } from '../helpers/members.js';
import {
  Client,
  PUBLIC_URL,
  registerCompany,
  STRONG_PASSWORD,
  uniqueMobile,
  startTestApp,
  type Registered,
  type TestApp,
} from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { acceptInvite, ageAuthentication, expectIntactChain, invite, linkToken, mailTo, storedEvents } from './helpers.js';

const reissue = (client: Client, userId: string) => client.post(`/api/v1/users/${userId}/invitation`);

/**
 * POST /api/v1/users/{id}/invitation: the copyable link is shown once, so a master can ask for a fresh
 * one while the invitation is pending. The earlier link stops working; counted, audited and mailed like
 * a new invitation.
 */
describe(`invitation links issued again (${engineName})`, () => {
  let t: TestApp;
  let smtp: FakeSmtp;
  let company: Registered;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
    // Several links per address within 10 minutes here; the limits themselves are tested below.
    t = await startTestApp({ PACTUM_SMTP_URL: smtp.url, PACTUM_INVITATION_RECIPIENT_LIMIT: '5' });
    company = await registerCompany(t, { companyName: 'Reissue AG' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('answers a new link; the old one stops working, the new one works, and the mail carries it', async () => {
    const invited = await invite(company.client);
    expect(linkToken(await mailTo(smtp, invited.email), 'invitations')).toBe(invited.token);
    const mailsBefore = smtp.messages.length;
    const response = await reissue(company.client, invited.userId);
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'url']);
    const token = body.url.split('/').pop();
    expect(body.url).toBe(`${PUBLIC_URL}/invitations/${token}`);
    expect(token).not.toBe(invited.token);
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    expect(linkToken(await mailTo(smtp, invited.email, { after: mailsBefore }), 'invitations')).toBe(token);

    const old = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: STRONG_PASSWORD,
      phone: uniqueMobile(),
    });
    expect(old.statusCode).toBe(410);
    expect(old.json().code).toBe('invitation_expired');
    const joined = await acceptInvite(t, { ...invited, token, url: body.url, expiresAt: body.expiresAt });
    expect((await joined.client.get('/api/v1/me')).json().user).toMatchObject({ id: invited.userId, status: 'active' });

    const created = (await storedEvents(t, company.tenantId)).filter(
      (event) => event.action === 'invitation.created' && event.target_id === invited.userId,
    );
    expect(created.map((event) => [event.actor_id, event.details.renewed, event.details.role])).toEqual([
      [company.userId, false, 'member'],
      [company.userId, true, 'member'],
    ]);
    await expectIntactChain(t, company.tenantId);
  });

  it('ends a half-finished acceptance of the old link too', async () => {
    const invited = await invite(company.client);
    const phone = uniqueMobile();
    const accepted = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, { password: STRONG_PASSWORD, phone });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect((await reissue(company.client, invited.userId)).statusCode).toBe(201);
    const verified = await new Client(t).post(`/api/v1/auth/challenges/${accepted.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(phone),
    });
    expect(verified.statusCode).toBe(410);
    const [user] = await t.db.asOwner<{ status: string }>('SELECT status FROM users WHERE id = $1', [invited.userId]);
    expect(user!.status).toBe('pending');
  });

  it('refuses users who are not pending (409), members (403) and ids of no user of the company (404)', async () => {
    const active = await addMember(t, company);
    const joined = await reissue(company.client, active.userId);
    expect(joined.statusCode).toBe(409);
    expect(joined.json().code).toBe('invalid_transition');

    const invited = await invite(company.client);
    const byMember = await reissue(active.client, invited.userId);
    expect(byMember.statusCode).toBe(403);
    expect(byMember.json().code).toBe('forbidden');

    const stranger = await registerCompany(t, { companyName: 'Stranger AG' });
    const foreign = await invite(stranger.client);
    for (const id of [foreign.userId, crypto.randomUUID()]) {
      const response = await reissue(company.client, id);
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('not_found');
    }
    // The other company's invitation is untouched: its link still works.
    await acceptInvite(t, foreign);
    expect((await reissue(company.client, 'nope')).statusCode).toBe(400);

    const refused = (await storedEvents(t, company.tenantId)).filter((event) => event.action === 'invitation.refused');
    expect(refused.map((event) => [event.actor_id, event.details.reason])).toEqual([
      [company.userId, 'invalid_transition'],
      [active.userId, 'forbidden'],
    ]);
  });

  it('needs a recent authentication to send a master invitation again', async () => {
    const invited = await invite(company.client, { role: 'master' });
    await ageAuthentication(t, company.userId);
    const stale = await reissue(company.client, invited.userId);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    const member = await invite(company.client);
    expect((await reissue(company.client, member.userId)).statusCode).toBe(201);
  });
});

describe(`invitation links issued again: limits (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PACTUM_INVITATION_TENANT_HOURLY_LIMIT: '3' });
  });
  afterAll(() => t.close());

  it("counts against the recipient's and the company's invitation limits, refusing with 429 and keeping the old link", async () => {
    const company = await registerCompany(t);
    const invited = await invite(company.client);
    const soon = await reissue(company.client, invited.userId);
    expect(soon.statusCode).toBe(429);
    expect(soon.json().code).toBe('rate_limited');
    expect(Number(soon.headers['retry-after'])).toBeGreaterThan(500);
    // Refused before anything changed: the first link still works.
    await acceptInvite(t, invited);

    const others = [await invite(company.client), await invite(company.client)];
    await t.db.asOwner("DELETE FROM rate_limit_hits WHERE bucket LIKE 'invitation-recipient:%'");
    const overCompany = await reissue(company.client, others[0]!.userId);
    expect(overCompany.statusCode).toBe(429);
    const refusals = (await storedEvents(t, company.tenantId)).filter((event) => event.action === 'invitation.refused');
    expect(refusals.map((event) => [event.target_id, event.outcome, event.details.reason])).toEqual([
      [invited.userId, 'denied', 'rate_limited'],
      [others[0]!.userId, 'denied', 'rate_limited'],
    ]);
  });
});
