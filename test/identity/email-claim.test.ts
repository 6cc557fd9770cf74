import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptInvite, invite } from '../tenancy/helpers.js';
import {
  Client,
  login,
  registerCompany,
  STRONG_PASSWORD,
  startTestApp,
  uniqueEmail,
  uniqueMobile,
  type TestApp,
} from '../helpers/test-app.js';
import { engineName, serverUrl } from '../helpers/test-database.js';

const OTHER_PASSWORD = 'another quite long passphrase for pactum 77';

/**
 * Issue 9, finding 4: an unverified signup's claim on its e-mail lapses after 30 minutes while its
 * challenge can live on through resends. A second signup may then take the address; the first one must
 * then never become active, or two active users would share one e-mail (and login finds only one).
 */
describe(`e-mail claims at activation (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function startSignup(email: string, phone: string, password = STRONG_PASSWORD) {
    const client = new Client(t);
    const response = await client.post('/api/v1/signup', {
      companyName: 'Vandelay Industries',
      name: 'Art Vandelay',
      email,
      phone,
      password,
    });
    expect(response.statusCode, response.body).toBe(201);
    return { client, challengeId: response.json().challenge.id as string };
  }

  /** Moves the clock for one pending signup: started 31 minutes ago, last code sent long enough ago to resend. */
  async function ageSignup(email: string) {
    await t.db.asOwner("UPDATE users SET created_at = now() - interval '31 minutes' WHERE email = $1", [email]);
    await t.db.asOwner(
      "UPDATE otp_challenges c SET last_sent_at = now() - interval '1 minute' FROM users u WHERE u.tenant_id = c.tenant_id AND u.id = c.user_id AND u.email = $1",
      [email],
    );
  }

  const statusesOf = (email: string) =>
    t.db.asOwner<{ user_status: string; tenant_status: string }>(
      'SELECT u.status AS user_status, t.status AS tenant_status FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1 ORDER BY u.created_at',
      [email],
    );

  it('does not activate a signup whose lapsed claim another signup took: 410 challenge_expired, nothing active', async () => {
    const email = uniqueEmail('contested');
    const firstPhone = uniqueMobile();
    const first = await startSignup(email, firstPhone);
    await ageSignup(email);
    // The first challenge lives on through a resend, with a fresh code.
    expect((await first.client.post(`/api/v1/auth/challenges/${first.challengeId}/resend`, {})).statusCode).toBe(202);
    const firstCode = t.twilio.lastCodeFor(firstPhone);

    const secondPhone = uniqueMobile();
    const second = await startSignup(email, secondPhone, OTHER_PASSWORD);

    const late = await first.client.post(`/api/v1/auth/challenges/${first.challengeId}/verify`, { code: firstCode });
    expect(late.statusCode, late.body).toBe(410);
    expect(late.json().code).toBe('challenge_expired');
    expect(first.client.cookie).toBeUndefined();
    expect(await statusesOf(email)).toEqual([
      { user_status: 'pending', tenant_status: 'pending' },
      { user_status: 'pending', tenant_status: 'pending' },
    ]);

    // The address belongs to the second signup, which completes and signs in as usual.
    const verified = await second.client.post(`/api/v1/auth/challenges/${second.challengeId}/verify`, {
      code: t.twilio.lastCodeFor(secondPhone),
    });
    expect(verified.statusCode, verified.body).toBe(200);
    await login(t, { email, password: OTHER_PASSWORD, phone: secondPhone });
    expect((await statusesOf(email)).map((row) => row.user_status)).toEqual(['pending', 'active']);
  });

  it('still activates a late signup whose claim nobody took', async () => {
    const email = uniqueEmail('unhurried');
    const phone = uniqueMobile();
    const signup = await startSignup(email, phone);
    await ageSignup(email);
    const verified = await signup.client.post(`/api/v1/auth/challenges/${signup.challengeId}/verify`, {
      code: t.twilio.lastCodeFor(phone),
    });
    expect(verified.statusCode, verified.body).toBe(200);
    await login(t, { email, password: STRONG_PASSWORD, phone });
  });

  it('does not activate an invitee whose address another signup took after the invitation lapsed', async () => {
    const company = await registerCompany(t);
    const invited = await invite(company.client);
    const inviteePhone = uniqueMobile();
    const invitee = new Client(t);
    const accepted = await invitee.post(`/api/v1/invitations/${invited.token}/accept`, { password: STRONG_PASSWORD, phone: inviteePhone });
    expect(accepted.statusCode, accepted.body).toBe(201);
    // Seven days later the invitation has lapsed, which releases the address; someone signs up with it.
    await t.db.asOwner("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE user_id = $1", [invited.userId]);
    const taker = await startSignup(invited.email, uniqueMobile(), OTHER_PASSWORD);
    expect(taker.challengeId).toEqual(expect.any(String));

    const late = await invitee.post(`/api/v1/auth/challenges/${accepted.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(inviteePhone),
    });
    expect(late.statusCode, late.body).toBe(410);
    expect(late.json().code).toBe('challenge_expired');
    const [row] = await t.db.asOwner<{ status: string }>('SELECT status FROM users WHERE id = $1', [invited.userId]);
    expect(row!.status).toBe('pending');
  });

  it('activates an invitee who still holds the address', async () => {
    const company = await registerCompany(t);
    const joined = await acceptInvite(t, await invite(company.client));
    expect((await joined.client.get('/api/v1/me')).json().user.status).toBe('active');
  });
});

/**
 * The same race with real concurrency, which only a server has: an activation holding the claim and a
 * second signup claiming the lapsed address at that moment. Driven statement by statement on two
 * connections, as pactum_app in each tenant, exactly as the service's transactions run them.
 */
describe.runIf(serverUrl)('an e-mail claim taken while its activation is in flight (postgres)', () => {
  let t: TestApp;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const client of clients) await client.end();
    await t.close();
  });

  async function asApp(tenantId: string) {
    const client = new pg.Client({ connectionString: t.db.url! });
    clients.push(client);
    await client.connect();
    await client.query('BEGIN');
    await client.query("SELECT set_config('role', 'pactum_app', true), set_config('pactum.tenant_id', $1, true)", [tenantId]);
    return client;
  }

  it('makes the claimer wait for the activation and then leaves the address with the activated user', async () => {
    const email = uniqueEmail('raced');
    const signup = await new Client(t).post('/api/v1/signup', {
      companyName: 'Kramerica',
      name: 'Cosmo Kramer',
      email,
      phone: uniqueMobile(),
      password: STRONG_PASSWORD,
    });
    expect(signup.statusCode, signup.body).toBe(201);
    const [first] = await t.db.asOwner<{ tenant_id: string; id: string }>(
      "UPDATE users SET created_at = now() - interval '31 minutes' WHERE email = $1 RETURNING tenant_id, id",
      [email],
    );
    const secondTenant = randomUUID();
    await t.db.asOwner("INSERT INTO tenants (id, name) VALUES ($1, 'Pendant Publishing')", [secondTenant]);
    const [second] = await t.db.asOwner<{ id: string }>(
      "INSERT INTO users (tenant_id, name, email, role, status) VALUES ($1, 'Elaine Benes', $2, 'master', 'pending') RETURNING id",
      [secondTenant, email],
    );

    const activation = await asApp(first!.tenant_id);
    const held = await activation.query('SELECT pactum_hold_email_claim($1) AS held', [first!.id]);
    expect(held.rows[0].held).toBe(true);

    const claimer = await asApp(secondTenant);
    let claimSettled = false;
    const claim = claimer.query('SELECT pactum_claim_email($1, $2) AS claimed', [email, second!.id]).finally(() => (claimSettled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(claimSettled, 'the claimer waits for the activation holding the claim').toBe(false);

    await activation.query("UPDATE tenants SET status = 'active' WHERE id = $1", [first!.tenant_id]);
    await activation.query("UPDATE users SET status = 'active', activated_at = now() WHERE id = $1", [first!.id]);
    await activation.query('COMMIT');
    expect((await claim).rows[0].claimed).toBe(false);
    await claimer.query('COMMIT');

    const claims = await t.db.asOwner<{ user_id: string }>('SELECT user_id FROM account_emails WHERE email = $1', [email]);
    expect(claims).toEqual([{ user_id: first!.id }]);
  });
});
