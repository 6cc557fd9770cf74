import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createPwnedPasswordsClient } from '../../src/identity/breached-passwords.js';
import { startFakePwnedPasswords } from '../fakes/fake-pwned-passwords.js';
import type { FakePwnedPasswords } from '../fakes/fake-pwned-passwords.js';

const breachedPassword = 'correct horse battery staple';
const cleanPassword = 'otter violin granite lantern';

function sha1UppercaseHex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();
}

function fetchAnswering(body: string, status = 200): typeof fetch {
  return async () => new Response(body, { status });
}

let fake: FakePwnedPasswords | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('createPwnedPasswordsClient against the fake range API', () => {
  it('reports a breached password and sends only a 5-character uppercase hex prefix with padding requested', async () => {
    fake = await startFakePwnedPasswords([breachedPassword]);
    const client = createPwnedPasswordsClient({ baseUrl: fake.url });

    expect(await client.isBreached(breachedPassword)).toBe('breached');

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.path).toMatch(/^\/range\/[0-9A-F]{5}$/);
    expect(request?.path).toBe(`/range/${sha1UppercaseHex(breachedPassword).slice(0, 5)}`);
    expect(request?.headers['add-padding']).toBe('true');
  });

  it('reports a password absent from the range as clean', async () => {
    fake = await startFakePwnedPasswords([breachedPassword]);
    const client = createPwnedPasswordsClient({ baseUrl: fake.url });

    expect(await client.isBreached(cleanPassword)).toBe('clean');
    expect(fake.requests[0]?.path).toBe(`/range/${sha1UppercaseHex(cleanPassword).slice(0, 5)}`);
  });

  it('hashes the NFKC form, so a ligature variant of a breached password is found', async () => {
    fake = await startFakePwnedPasswords(['finance ledger otter']);
    const client = createPwnedPasswordsClient({ baseUrl: fake.url });

    expect(await client.isBreached('ﬁnance ledger otter')).toBe('breached');
  });

  it('tolerates a trailing slash in the base URL', async () => {
    fake = await startFakePwnedPasswords([breachedPassword]);
    const client = createPwnedPasswordsClient({ baseUrl: `${fake.url}/` });

    expect(await client.isBreached(breachedPassword)).toBe('breached');
    expect(fake.requests[0]?.path).toMatch(/^\/range\/[0-9A-F]{5}$/);
  });

  it('is unavailable when the service answers 503', async () => {
    fake = await startFakePwnedPasswords([breachedPassword]);
    fake.setDown(true);
    const client = createPwnedPasswordsClient({ baseUrl: fake.url });

    expect(await client.isBreached(breachedPassword)).toBe('unavailable');
  });

  it('is unavailable when nothing listens at the address', async () => {
    fake = await startFakePwnedPasswords([breachedPassword]);
    const { url } = fake;
    await fake.close();
    fake = undefined;
    const client = createPwnedPasswordsClient({ baseUrl: url });

    expect(await client.isBreached(breachedPassword)).toBe('unavailable');
  });
});

describe('createPwnedPasswordsClient response handling', () => {
  const suffix = sha1UppercaseHex(cleanPassword).slice(5);

  it('does not count a padding line with count 0 as a breach', async () => {
    const client = createPwnedPasswordsClient({
      baseUrl: 'https://pwned.example',
      fetch: fetchAnswering(`0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n${suffix}:0\r\n`),
    });
    expect(await client.isBreached(cleanPassword)).toBe('clean');
  });

  it('counts the same suffix with a positive count as a breach', async () => {
    const client = createPwnedPasswordsClient({
      baseUrl: 'https://pwned.example',
      fetch: fetchAnswering(`0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n${suffix}:12`),
    });
    expect(await client.isBreached(cleanPassword)).toBe('breached');
  });

  it('accepts LF line endings', async () => {
    const client = createPwnedPasswordsClient({
      baseUrl: 'https://pwned.example',
      fetch: fetchAnswering(`0018A45C4D1DEF81644B54AB7F969B88D65:1\n${suffix}:2\n`),
    });
    expect(await client.isBreached(cleanPassword)).toBe('breached');
  });

  it('is unavailable on a non-200 answer even if the body looks like a range', async () => {
    const client = createPwnedPasswordsClient({
      baseUrl: 'https://pwned.example',
      fetch: fetchAnswering(`${suffix}:2`, 429),
    });
    expect(await client.isBreached(cleanPassword)).toBe('unavailable');
  });

  it('gives up after timeoutMs and reports unavailable', async () => {
    const neverAnswers: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const client = createPwnedPasswordsClient({ baseUrl: 'https://pwned.example', fetch: neverAnswers, timeoutMs: 50 });

    const startedAt = Date.now();
    expect(await client.isBreached(cleanPassword)).toBe('unavailable');
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});
