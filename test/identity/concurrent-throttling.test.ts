import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveKey } from '../../src/identity/keys.js';
import type * as PasswordHashing from '../../src/identity/password-hashing.js';
import { registerCompany, startTestApp, uniqueEmail, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

/** Every password check the login route makes, real or against the dummy hash, counted through the public module. */
const passwordChecks = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/identity/password-hashing.js', async (importOriginal) => {
  const original = await importOriginal<typeof PasswordHashing>();
  return {
    ...original,
    verifyPassword: async (...args: Parameters<typeof original.verifyPassword>) => {
      passwordChecks.count += 1;
      return original.verifyPassword(...args);
    },
    verifyAgainstDummyHash: async (...args: Parameters<typeof original.verifyAgainstDummyHash>) => {
      passwordChecks.count += 1;
      return original.verifyAgainstDummyHash(...args);
    },
  };
});

const WRONG = 'definitely not the password';
const PER_IP_LIMIT = 3;

describe(`login throttling under concurrency (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    // The test requests reach the app from 127.0.0.1, the one proxy it believes: X-Forwarded-For decides
    // the client address, so each burst can come from as many addresses as it likes.
    t = await startTestApp({ PACTUM_TRUST_PROXY: '127.0.0.1', PACTUM_LOGIN_IP_LIMIT: String(PER_IP_LIMIT) });
  });
  afterAll(() => t.close());

  const emailKeyOf = (email: string) => createHmac('sha256', deriveKey(t.config.masterKey, 'email-key')).update(email).digest();
  const consecutiveFailures = async (email: string) =>
    (await t.db.asOwner<{ consecutive: number }>('SELECT consecutive FROM login_failures WHERE email_key = $1', [emailKeyOf(email)]))[0]
      ?.consecutive ?? 0;

  /** n logins at once, the i-th from its own forwarded address unless one address is given. */
  async function burst(n: number, attempt: (i: number) => { email: string; password: string }, from?: string) {
    passwordChecks.count = 0;
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-forwarded-for': from ?? `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` },
          payload: attempt(i),
        }),
      ),
    );
    const statuses: Record<number, number> = {};
    for (const response of responses) statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    return { statuses, passwordChecks: passwordChecks.count, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * The most checks the rules allow a fresh account in a burst lasting `seconds`: 5 free ones, then one more each
   * time the growing delay (5 s, 10 s, 20 s …) has passed since the last. On a quiet machine a burst takes
   * well under 5 s and the answer is 5; on a loaded one the burst itself may outlast the first delay.
   */
  function allowedForFreshAccount(seconds: number) {
    let allowed = 5;
    for (let waited = 5, delay = 5; waited <= seconds; delay *= 2, waited += delay) allowed += 1;
    return allowed;
  }

  let user: Registered;
  beforeAll(async () => {
    user = await registerCompany(t);
  });

  it('checks the password of a fresh account 5 times for 150 concurrent wrong attempts from 150 addresses', async () => {
    const { statuses, passwordChecks: checks, seconds } = await burst(150, () => ({ email: user.email, password: WRONG }));
    // Exactly 5 whenever the burst is over within the first delay (allowedForFreshAccount is then 5).
    expect(checks).toBeGreaterThanOrEqual(5);
    expect(checks, `a burst of ${seconds} s`).toBeLessThanOrEqual(allowedForFreshAccount(seconds));
    expect(statuses).toEqual({ 401: checks, 429: 150 - checks });
    expect(await consecutiveFailures(user.email)).toBe(checks);
  });

  it('lets one attempt through per elapsed delay, however many arrive at once', async () => {
    await t.db.asOwner("UPDATE login_failures SET consecutive = 7, last_failed_at = now() - interval '1 hour' WHERE email_key = $1", [
      emailKeyOf(user.email),
    ]);
    // The right password is among them: whichever single attempt gets through decides, the rest wait.
    const result = await burst(40, (i) => ({ email: user.email, password: i === 20 ? user.password : WRONG }));
    expect(result.passwordChecks).toBe(1);
    expect(result.statuses[429]).toBe(39);
  });

  it('stops at 100 checks without a success: a burst of 60 at 99 gets exactly one', async () => {
    const email = uniqueEmail('ghost'); // unknown addresses are throttled exactly like known ones
    await t.db.asOwner("INSERT INTO login_failures VALUES ($1, 99, now() - interval '1 day')", [emailKeyOf(email)]);
    const result = await burst(60, () => ({ email, password: WRONG }));
    expect(result).toMatchObject({ statuses: { 401: 1, 429: 59 }, passwordChecks: 1 });
    expect(await consecutiveFailures(email)).toBe(100);
    const after = await burst(10, () => ({ email, password: WRONG }));
    expect(after).toMatchObject({ statuses: { 429: 10 }, passwordChecks: 0 });
  });

  it(`checks at most ${PER_IP_LIMIT} passwords for 150 concurrent attempts from one address`, async () => {
    const result = await burst(150, () => ({ email: uniqueEmail('spray'), password: WRONG }), '203.0.113.50');
    expect(result).toMatchObject({ statuses: { 401: PER_IP_LIMIT, 429: 150 - PER_IP_LIMIT }, passwordChecks: PER_IP_LIMIT });
  });
});
