import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';
import { addMember } from '../helpers/members.js';
import {
  Client,
  login,
  PUBLIC_URL,
  registerCompany,
  STRONG_PASSWORD,
  uniqueEmail,
  uniqueMobile,
  type Registered,
  type TestApp,
  startTestApp,
} from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { acceptInvite, invite, linkToken, mailTo, storedEvents } from './helpers.js';

describe(`invitations (${engineName})`, () => {
  let t: TestApp;
  let smtp: FakeSmtp;
  let company: Registered;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
    t = await startTestApp({ PACTUM_SMTP_URL: smtp.url });
    company = await registerCompany(t, { companyName: 'Initech' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('invites by e-mail: a pending user, a link in the answer and in the mail, only the hash stored', async () => {
    const email = uniqueEmail('Invitee').toUpperCase();
    const response = await company.client.post('/api/v1/users', { name: 'Peter Gibbons', email });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.user).toEqual({
      id: expect.any(String),
      name: 'Peter Gibbons',
      email: email.toLowerCase(),
      phoneHint: null,
      role: 'member',
      status: 'pending',
    });
    const token = body.invitation.url.split('/').pop();
    expect(body.invitation.url).toBe(`${PUBLIC_URL}/invitations/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const days = (new Date(body.invitation.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);

    const [stored] = await t.db.asOwner<{ token_hash: Uint8Array; invited_by: string }>(
      'SELECT token_hash, invited_by FROM invitations WHERE user_id = $1',
      [body.user.id],
    );
    expect(Buffer.from(stored!.token_hash).equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(stored!.invited_by).toBe(company.userId);

    const mail = await mailTo(smtp, email.toLowerCase());
    expect(linkToken(mail, 'invitations')).toBe(token);
    expect(mail).toContain('Initech');
  });

  it('runs the whole flow: accept with password and phone, a code, then an active user with a session', async () => {
    const invited = await invite(company.client, { name: 'Samir Nagheenanajar' });
    const phone = uniqueMobile();
    const client = new Client(t);
    const accepted = await client.post(`/api/v1/invitations/${invited.token}/accept`, { password: STRONG_PASSWORD, phone });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json().challenge).toMatchObject({ channel: 'sms', phoneHint: expect.stringMatching(/^\+41 /) });
    expect(client.cookie).toBeUndefined();
    const [pending] = await t.db.asOwner<{ status: string }>('SELECT status FROM users WHERE id = $1', [invited.userId]);
    expect(pending!.status).toBe('pending');

    const verified = await client.post(`/api/v1/auth/challenges/${accepted.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(phone),
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json().user).toMatchObject({ id: invited.userId, status: 'active', role: 'member' });
    expect(verified.json().tenant.id).toBe(company.tenantId);
    const me = await client.get('/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(invited.userId);

    // The invitee signs in like everyone else from now on.
    await login(t, { email: invited.email, password: STRONG_PASSWORD, phone });
    const events = await storedEvents(t, company.tenantId);
    expect(
      events.some(
        (event) => event.action === 'invitation.created' && event.target_id === invited.userId && event.actor_id === company.userId,
      ),
    ).toBe(true);
    expect(events.some((event) => event.action === 'invitation.accepted' && event.actor_id === invited.userId)).toBe(true);
  });

  it('works once: a used link is 410 invitation_expired', async () => {
    const invited = await invite(company.client);
    await acceptInvite(t, invited);
    const again = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: STRONG_PASSWORD,
      phone: uniqueMobile(),
    });
    expect(again.statusCode).toBe(410);
    expect(again.json().code).toBe('invitation_expired');
  });

  it('expires after 7 days, also between acceptance and code', async () => {
    const invited = await invite(company.client);
    await t.db.asOwner("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE user_id = $1", [invited.userId]);
    const late = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: STRONG_PASSWORD,
      phone: uniqueMobile(),
    });
    expect(late.statusCode).toBe(410);
    expect(late.json().code).toBe('invitation_expired');

    const second = await invite(company.client);
    const phone = uniqueMobile();
    const client = new Client(t);
    const accepted = await client.post(`/api/v1/invitations/${second.token}/accept`, { password: STRONG_PASSWORD, phone });
    expect(accepted.statusCode).toBe(201);
    await t.db.asOwner("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE user_id = $1", [second.userId]);
    const verified = await client.post(`/api/v1/auth/challenges/${accepted.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(phone),
    });
    expect(verified.statusCode).toBe(410);
    expect(client.cookie).toBeUndefined();
    const [user] = await t.db.asOwner<{ status: string }>('SELECT status FROM users WHERE id = $1', [second.userId]);
    expect(user!.status).toBe('pending');
  });

  it('answers unknown and malformed links alike with 410', async () => {
    for (const token of ['A'.repeat(43), 'not-a-token']) {
      const response = await new Client(t).post(`/api/v1/invitations/${token}/accept`, {
        password: STRONG_PASSWORD,
        phone: uniqueMobile(),
      });
      expect(response.statusCode).toBe(410);
      expect(response.json().code).toBe('invitation_expired');
    }
  });

  it('applies the signup rules to the password and the phone', async () => {
    const invited = await invite(company.client, { name: 'Michael Bolton' });
    const weak = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: 'michaelbolton1',
      phone: uniqueMobile(),
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('weak_password');
    const premium = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: STRONG_PASSWORD,
      phone: '+41900123456',
    });
    expect(premium.statusCode).toBe(400);
    expect(premium.json().code).toBe('invalid_phone');
    // Neither attempt used the link up.
    await acceptInvite(t, invited);
  });

  it('refuses an e-mail that has an account: 409 email_taken, here or in another company', async () => {
    const taken = await company.client.post('/api/v1/users', { name: 'Bill Lumbergh', email: company.email });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('email_taken');
    const other = await registerCompany(t, { companyName: 'Initrode' });
    const elsewhere = await company.client.post('/api/v1/users', { name: 'Bill Lumbergh', email: other.email });
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json().code).toBe('email_taken');
  });

  it('re-inviting a pending user replaces the old link', async () => {
    const first = await invite(company.client);
    // One invitation per recipient per 10 minutes (issue 13, point 4): let that time pass.
    await t.db.asOwner("DELETE FROM rate_limit_hits WHERE bucket LIKE 'invitation-recipient:%'");
    const second = await invite(company.client, { email: first.email, name: 'Peter G.' });
    expect(second.userId).toBe(first.userId);
    const old = await new Client(t).post(`/api/v1/invitations/${first.token}/accept`, { password: STRONG_PASSWORD, phone: uniqueMobile() });
    expect(old.statusCode).toBe(410);
    const joined = await acceptInvite(t, second);
    expect((await joined.client.get('/api/v1/me')).json().user.name).toBe('Peter G.');
  });

  it('lets only masters invite (403 forbidden for a member), and inviting a master needs a recent authentication', async () => {
    const member = await addMember(t, company);
    const refused = await member.client.post('/api/v1/users', { name: 'Tom Smykowski', email: uniqueEmail() });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden');

    await t.db.asOwner("UPDATE sessions SET authenticated_at = now() - interval '16 minutes' WHERE user_id = $1", [company.userId]);
    const master = await company.client.post('/api/v1/users', { name: 'Tom Smykowski', email: uniqueEmail(), role: 'master' });
    expect(master.statusCode).toBe(403);
    expect(master.json().code).toBe('reauthentication_required');
    const plain = await company.client.post('/api/v1/users', { name: 'Tom Smykowski', email: uniqueEmail() });
    expect(plain.statusCode).toBe(201);
  });

  it('lists the team for any user, with roles, statuses and group ids', async () => {
    const member = await addMember(t, company, { name: 'Aardvark Member' });
    const [group] = await t.db.asOwner<{ id: string }>('INSERT INTO access_groups (tenant_id, name) VALUES ($1, $2) RETURNING id', [
      company.tenantId,
      'Finance',
    ]);
    await t.db.asOwner('INSERT INTO access_group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)', [
      company.tenantId,
      group!.id,
      member.userId,
    ]);
    const response = await member.client.get('/api/v1/users?limit=500');
    expect(response.statusCode, response.body).toBe(200);
    const { items, nextCursor } = response.json();
    expect(nextCursor).toBeNull();
    expect(items.find((user: { id: string }) => user.id === member.userId)).toMatchObject({
      role: 'member',
      status: 'active',
      groupIds: [group!.id],
    });
    expect(items.find((user: { id: string }) => user.id === company.userId)).toMatchObject({ role: 'master', groupIds: [] });
    expect(items.some((user: { status: string }) => user.status === 'pending')).toBe(true);

    const firstPage = (await member.client.get('/api/v1/users?limit=2')).json();
    expect(firstPage.items).toHaveLength(2);
    const secondPage = (await member.client.get(`/api/v1/users?limit=2&cursor=${firstPage.nextCursor}`)).json();
    expect(secondPage.items[0].id).toBe(items[2].id);
    const pending = (await member.client.get('/api/v1/users?status=pending&limit=500')).json();
    expect(pending.items.every((user: { status: string }) => user.status === 'pending')).toBe(true);
  });

  it('shows nothing of another company', async () => {
    const other = await registerCompany(t, { companyName: 'Penetrode' });
    const { items } = (await other.client.get('/api/v1/users?limit=500')).json();
    expect(items.map((user: { id: string }) => user.id)).toEqual([other.userId]);
  });
});
