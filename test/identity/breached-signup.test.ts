import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePwnedPasswords, type FakePwnedPasswords } from '../fakes/fake-pwned-passwords.js';
import { Client, startTestApp, uniqueEmail, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

const BREACHED = 'marmalade sandwich under the bridge';
const FRESH = 'quietly orbiting teapots near saturn';

describe(`breached-password check at signup (${engineName})`, () => {
  let pwned: FakePwnedPasswords;
  let t: TestApp;
  beforeAll(async () => {
    pwned = await startFakePwnedPasswords([BREACHED]);
    t = await startTestApp({ PACTUM_PWNED_CHECK: 'on', PACTUM_PWNED_API_URL: pwned.url });
  });
  afterAll(async () => {
    await t.close();
    await pwned.close();
  });

  const signup = (password: string) =>
    new Client(t).post('/api/v1/signup', {
      companyName: 'Vandelay Industries',
      name: 'Art Vandelay',
      email: uniqueEmail(),
      phone: uniqueMobile(),
      password,
    });

  it('refuses a password found in a breach, sending only a 5-character hash prefix', async () => {
    const response = await signup(BREACHED);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'weak_password', detail: expect.stringMatching(/breach/i) });
    expect(pwned.requests.length).toBeGreaterThan(0);
    for (const request of pwned.requests) expect(request.path).toMatch(/^\/range\/[0-9A-F]{5}$/);
  });

  it('accepts a password the service does not know', async () => {
    expect((await signup(FRESH)).statusCode).toBe(201);
  });

  it('accepts the password when the service is down (documented fail-open; the local dictionary still applies)', async () => {
    pwned.setDown(true);
    try {
      expect((await signup('seventeen purple walruses juggling')).statusCode).toBe(201);
      expect((await signup('password1234')).json().code).toBe('weak_password');
    } finally {
      pwned.setDown(false);
    }
  });
});
