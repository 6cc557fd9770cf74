import { afterEach, describe, expect, it } from 'vitest';
import { createPwnedPasswordsClient } from '../../src/identity/breached-passwords.js';
import { createPasswordPolicy } from '../../src/identity/password-policy.js';
import { startFakePwnedPasswords } from '../fakes/fake-pwned-passwords.js';
import type { FakePwnedPasswords } from '../fakes/fake-pwned-passwords.js';

const strongPassphrase = 'otter violin granite lantern';
const localPolicy = createPasswordPolicy({ breachedPasswords: null });
const noContext = {};

const reasons = {
  tooShort: { reasonKey: 'too_short', reason: 'Use at least 12 characters.' },
  tooLong: { reasonKey: 'too_long', reason: 'Use at most 256 characters.' },
  common: { reasonKey: 'common', reason: 'This password is in a list of commonly used passwords.' },
  personal: { reasonKey: 'personal', reason: "Don't use your name, e-mail address or company name in your password." },
  weak: { reasonKey: 'weak', reason: 'This password is too easy to guess; add more unrelated words.' },
  breached: { reasonKey: 'breached', reason: 'This password has appeared in a data breach; choose another.' },
};

describe('password policy: local rules', () => {
  it('accepts a strong passphrase', async () => {
    expect(await localPolicy.check(strongPassphrase, noContext)).toEqual({ ok: true });
  });

  it.each(['Gletscher Kaffeetasse Regenschirm', 'ласточка облако картошка', 'ひまわり 図書館 しんかんせん 雪'])(
    'accepts the unicode passphrase %j',
    async (passphrase) => {
      expect(await localPolicy.check(passphrase, noContext)).toEqual({ ok: true });
    },
  );

  it('rejects fewer than 12 characters', async () => {
    expect(await localPolicy.check('otter violin', noContext)).toEqual({ ok: true });
    expect(await localPolicy.check('otter-violn', noContext)).toEqual({ ok: false, ...reasons.tooShort });
  });

  it('counts code points, not UTF-16 units', async () => {
    // 11 emoji are 22 UTF-16 units but only 11 characters for the user.
    const elevenEmoji = '🦊🦉🐙🦀🐝🦋🐢🦔🐧🦩🦜';
    expect(elevenEmoji.length).toBe(22);
    expect(await localPolicy.check(elevenEmoji, noContext)).toEqual({ ok: false, ...reasons.tooShort });
  });

  it('accepts 256 characters and rejects 257 instead of truncating', async () => {
    const words = 'otter violin granite lantern marble pepper quartz ';
    const exactly256 = words.repeat(6).slice(0, 256);
    expect([...exactly256]).toHaveLength(256);
    expect(await localPolicy.check(exactly256, noContext)).toEqual({ ok: true });
    expect(await localPolicy.check(`${exactly256}x`, noContext)).toEqual({ ok: false, ...reasons.tooLong });
  });

  it('rejects two 300-character passwords that differ only at the end as too long', async () => {
    const base = 'otter violin granite lantern '.repeat(11).slice(0, 299);
    for (const password of [`${base}a`, `${base}b`]) {
      expect([...password]).toHaveLength(300);
      expect(await localPolicy.check(password, noContext)).toEqual({ ok: false, ...reasons.tooLong });
    }
  });

  it.each(['password1234', 'Password1234', 'qwertyuiop12'])('rejects the common password %j', async (common) => {
    expect(await localPolicy.check(common, noContext)).toEqual({ ok: false, ...reasons.common });
  });

  it('applies NFKC before the dictionary, so full-width characters do not evade it', async () => {
    expect(await localPolicy.check('ｐａｓｓｗｏｒｄ１２３４', noContext)).toEqual({ ok: false, ...reasons.common });
  });

  it('rejects a password that is too easy to guess', async () => {
    expect(await localPolicy.check('aaaaaaaaaaaa', noContext)).toEqual({ ok: false, ...reasons.weak });
  });

  it('has no composition rules: lowercase letters and spaces alone are fine', async () => {
    expect(await localPolicy.check('plum kettle saxophone meadow', noContext)).toEqual({ ok: true });
  });
});

describe('password policy: personal information', () => {
  const context = {
    email: 'margaret.hamilton@example.com',
    name: 'Margaret Hamilton',
    companyName: 'Globex',
  };

  it('accepts a strong passphrase unrelated to the user', async () => {
    expect(await localPolicy.check(strongPassphrase, context)).toEqual({ ok: true });
  });

  it.each([
    ['the whole e-mail', 'Margaret.Hamilton@example.com violin'],
    ['the e-mail local part', 'margaret.hamilton otter violin'],
    ['a name part', 'violin HAMILTON granite lantern'],
    ['the company name', 'violin granite globex lantern'],
  ])('rejects a password containing %s, case-insensitively', async (_what, password) => {
    expect(await localPolicy.check(password, context)).toEqual({ ok: false, ...reasons.personal });
  });

  it('rejects the e-mail local part even when it shares nothing with the name', async () => {
    const verdict = await localPolicy.check('violin granite quasarpilot', { email: 'quasarpilot@example.com' });
    expect(verdict).toEqual({ ok: false, ...reasons.personal });
  });

  it('rejects the company name written without its spaces', async () => {
    const verdict = await localPolicy.check('violin granite acmesoftware', { companyName: 'Acme Software' });
    expect(verdict).toEqual({ ok: false, ...reasons.personal });
  });

  it('ignores name parts shorter than 4 characters', async () => {
    // "li" and "wu" occur inside ordinary words; rejecting them would be noise.
    expect(await localPolicy.check('violin lighthouse wurst parade', { name: 'Li Wu' })).toEqual({ ok: true });
  });
});

describe('password policy: breached passwords', () => {
  let fake: FakePwnedPasswords | undefined;

  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function policyWithFake(breached: string[]) {
    fake = await startFakePwnedPasswords(breached);
    return {
      fake,
      policy: createPasswordPolicy({ breachedPasswords: createPwnedPasswordsClient({ baseUrl: fake.url }) }),
    };
  }

  it('rejects a breached password, sending only a 5-character uppercase hex prefix with padding requested', async () => {
    const { fake, policy } = await policyWithFake([strongPassphrase]);

    expect(await policy.check(strongPassphrase, noContext)).toEqual({ ok: false, ...reasons.breached });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toMatch(/^\/range\/[0-9A-F]{5}$/);
    expect(fake.requests[0]?.headers['add-padding']).toBe('true');
  });

  it('accepts a password the service does not know', async () => {
    const { policy } = await policyWithFake(['some other passphrase entirely']);
    expect(await policy.check(strongPassphrase, noContext)).toEqual({ ok: true });
  });

  it('fails open: accepts a strong password while the service is down', async () => {
    const { fake, policy } = await policyWithFake([strongPassphrase]);
    fake.setDown(true);

    expect(await policy.check(strongPassphrase, noContext)).toEqual({ ok: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('still applies the local rules while the service is down', async () => {
    const { fake, policy } = await policyWithFake([]);
    fake.setDown(true);

    expect(await policy.check('password1234', noContext)).toEqual({ ok: false, ...reasons.common });
  });

  it('does not call the service when a local rule already rejected the password', async () => {
    const { fake, policy } = await policyWithFake(['aaaaaaaaaaaa']);

    expect(await policy.check('aaaaaaaaaaaa', noContext)).toEqual({ ok: false, ...reasons.weak });
    expect(fake.requests).toHaveLength(0);
  });
});
