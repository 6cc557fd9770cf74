import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Client,
  login,
  registerCompany,
  startTestApp,
  STRONG_PASSWORD,
  uniqueEmail,
  uniqueMobile,
  type TestApp,
} from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

describe(`signup and login over HTTP (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('signs up, sends the code by SMS through Twilio, and opens a session only after verification', async () => {
    const client = new Client(t);
    const phone = uniqueMobile();
    const email = uniqueEmail();
    const signup = await client.post('/api/v1/signup', {
      companyName: 'Initech',
      name: 'Peter Gibbons',
      email,
      phone,
      password: STRONG_PASSWORD,
    });
    expect(signup.statusCode).toBe(201);
    const { challenge } = signup.json();
    expect(challenge).toMatchObject({ channel: 'sms', phoneHint: expect.stringMatching(/^\+41 [• ]+\d{2}$/) });
    expect(challenge.phoneHint.replace(/\D/g, '')).toBe(`41${phone.slice(-2)}`);
    expect(client.cookie).toBeUndefined();

    const sms = t.twilio.messages.at(-1)!;
    expect(sms.to).toBe(phone);
    expect(sms.body).toContain(t.twilio.lastCodeFor(phone));

    // Nothing is usable before the code: the pending account cannot sign in.
    const early = await new Client(t).post('/api/v1/auth/login', { email, password: STRONG_PASSWORD });
    expect(early.statusCode).toBe(401);
    expect(early.json().code).toBe('invalid_credentials');

    const verified = await client.post(`/api/v1/auth/challenges/${challenge.id}/verify`, { code: t.twilio.lastCodeFor(phone) });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({ user: { email, role: 'master', status: 'active' }, tenant: { name: 'Initech' } });
    const cookie = verified.cookies.find((c) => c.name === 'pactum_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const me = await client.get('/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { email, name: 'Peter Gibbons' }, tenant: { name: 'Initech' }, groups: [] });
    expect(me.body).not.toContain(phone);
  });

  it('creates no second account for the same e-mail, though it answers as for a new one (see signup-registered-email.test.ts)', async () => {
    const first = await registerCompany(t);
    const again = await new Client(t).post('/api/v1/signup', {
      companyName: 'Copycat',
      name: 'Someone Else',
      email: first.email.toUpperCase(),
      phone: uniqueMobile(),
      password: STRONG_PASSWORD,
    });
    expect(again.statusCode).toBe(201);
    const rows = await t.db.asOwner<{ tenant_id: string }>('SELECT tenant_id FROM users WHERE email = $1', [first.email]);
    expect(rows).toEqual([{ tenant_id: first.tenantId }]);
  });

  it('calls a Swiss landline and speaks the code digit by digit in German', async () => {
    const landline = '+41446681800';
    const signup = await new Client(t).post('/api/v1/signup', {
      companyName: 'Zurich Landline AG',
      name: 'Ursula Landolt',
      email: uniqueEmail(),
      phone: landline,
      password: STRONG_PASSWORD,
    });
    expect(signup.statusCode).toBe(201);
    expect(signup.json().challenge).toMatchObject({ channel: 'voice', availableChannels: ['voice'] });
    const call = t.twilio.calls.at(-1)!;
    expect(call.to).toBe(landline);
    expect(call.twiml).toContain('language="de-DE"');
    const code = t.twilio.lastCodeFor(landline)!;
    expect(call.twiml).toContain(code.split('').join(', '));
    expect(call.twiml.split(code.split('').join(', ')).length - 1).toBe(2);
  });

  it.each([
    ['+41900123456', 'invalid_phone'],
    ['0791234567', 'invalid_phone'],
    ['+4179', 'invalid_phone'],
  ])('rejects the phone number %s with %s', async (phone, code) => {
    const response = await new Client(t).post('/api/v1/signup', {
      companyName: 'Acme',
      name: 'Wile Coyote',
      email: uniqueEmail(),
      phone,
      password: STRONG_PASSWORD,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe(code);
  });

  it.each([
    ['short', 'Use at least 12', 'too_short'],
    ['password1234', 'commonly used', 'common'],
    ['aaaaaaaaaaaaaaaa', 'guess', 'weak'],
  ])('rejects the weak password %s with a reason and its key', async (password, reason, reasonKey) => {
    const response = await new Client(t).post('/api/v1/signup', {
      companyName: 'Acme',
      name: 'Wile Coyote',
      email: uniqueEmail(),
      phone: uniqueMobile(),
      password,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'weak_password', detail: expect.stringContaining(reason), reason: reasonKey });
  });

  it('rejects a password containing the e-mail address', async () => {
    const email = uniqueEmail('roadrunner');
    const response = await new Client(t).post('/api/v1/signup', {
      companyName: 'Acme',
      name: 'Wile Coyote',
      email,
      phone: uniqueMobile(),
      password: `${email}-forever`,
    });
    expect(response.json()).toMatchObject({ code: 'weak_password', reason: 'personal' });
  });

  it('rejects unknown fields and wrong types with the failing paths', async () => {
    const response = await new Client(t).post('/api/v1/signup', {
      companyName: 'Acme',
      name: 'Wile Coyote',
      email: 'not-an-email',
      phone: 41791234567,
      password: STRONG_PASSWORD,
      admin: true,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('validation_failed');
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body:/admin', 'body:/email', 'body:/phone']));
  });

  it('logs in with password plus code, and says the same for a wrong password and an unknown e-mail', async () => {
    const user = await registerCompany(t);
    const wrongPassword = await new Client(t).post('/api/v1/auth/login', { email: user.email, password: 'not the password at all' });
    const unknownEmail = await new Client(t).post('/api/v1/auth/login', {
      email: uniqueEmail('ghost'),
      password: 'not the password at all',
    });
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    expect(unknownEmail.json()).toEqual(wrongPassword.json());

    const client = await login(t, user);
    expect((await client.get('/api/v1/me')).json().user.email).toBe(user.email);
  });

  it('spends similar time on an unknown e-mail as on a wrong password (a dummy hash is verified)', async () => {
    const user = await registerCompany(t);
    const time = async (email: string) => {
      const start = process.hrtime.bigint();
      await new Client(t).post('/api/v1/auth/login', { email, password: 'not the password at all' });
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      known.push(await time(user.email));
      unknown.push(await time(uniqueEmail('ghost')));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // Loose bounds: the point is that both paths do an argon2 verification, not a precise timing.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    expect(median(known)).toBeGreaterThan(median(unknown) * 0.4);
  });

  it('upgrades a weaker password hash transparently at the next login', async () => {
    const user = await registerCompany(t);
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash(user.password, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await t.db.asOwner('UPDATE users SET password_hash = $1 WHERE id = $2', [weak, user.userId]);
    await login(t, user);
    const [row] = await t.db.asOwner<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.userId]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('answers 401 unauthenticated without a session', async () => {
    const response = await new Client(t).get('/api/v1/me');
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('unauthenticated');
  });
});
