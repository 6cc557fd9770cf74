import { performance } from 'node:perf_hooks';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type * as Argon2 from '@node-rs/argon2';
import { describe, expect, it, vi } from 'vitest';
import {
  hashPassword,
  normalizePassword,
  passwordHashParameters,
  verifyAgainstDummyHash,
  verifyPassword,
} from '../../src/identity/password-hashing.js';

// A pass-through spy: hashing and verifying stay real, and the dummy-hash test
// can see which hash the dummy verification ran against.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const original = await importOriginal<typeof Argon2>();
  return { ...original, verify: vi.fn(original.verify) };
});

const currentParametersPrefix = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

describe('hashPassword', () => {
  it('produces an argon2id PHC string with m=19456, t=2, p=1', async () => {
    expect(passwordHashParameters).toEqual({
      algorithm: 'argon2id',
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(await hashPassword('otter violin granite lantern')).toMatch(currentParametersPrefix);
  });

  it('salts every hash', async () => {
    const password = 'otter violin granite lantern';
    expect(await hashPassword(password)).not.toBe(await hashPassword(password));
  });
});

describe('verifyPassword', () => {
  it('accepts the right password without asking for a rehash', async () => {
    const stored = await hashPassword('otter violin granite lantern');
    expect(await verifyPassword(stored, 'otter violin granite lantern')).toEqual({
      valid: true,
      needsRehash: false,
    });
  });

  it('rejects a wrong password', async () => {
    const stored = await hashPassword('otter violin granite lantern');
    expect(await verifyPassword(stored, 'otter violin granite lanterns')).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it('asks for a rehash when the stored hash used weaker parameters', async () => {
    const weak = await argon2Hash('otter violin granite lantern', { memoryCost: 4096, timeCost: 2, parallelism: 1 });
    expect(weak).toContain('$m=4096,');
    expect(await verifyPassword(weak, 'otter violin granite lantern')).toEqual({ valid: true, needsRehash: true });
  });

  it('asks for a rehash when the stored hash used fewer passes', async () => {
    const weak = await argon2Hash('otter violin granite lantern', { memoryCost: 19456, timeCost: 1, parallelism: 1 });
    expect(await verifyPassword(weak, 'otter violin granite lantern')).toEqual({ valid: true, needsRehash: true });
  });

  it.each(['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$truncated', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'])(
    'treats the malformed stored hash %j as a wrong password instead of throwing',
    async (malformed) => {
      expect(await verifyPassword(malformed, 'otter violin granite lantern')).toEqual({
        valid: false,
        needsRehash: false,
      });
    },
  );

  it('normalises with NFKC so a ligature and its letters are the same password', async () => {
    expect(normalizePassword('ﬁnance ledger')).toBe('finance ledger');
    const storedFromLigature = await hashPassword('ﬁnance ledger otter');
    expect((await verifyPassword(storedFromLigature, 'finance ledger otter')).valid).toBe(true);
    const storedFromLetters = await hashPassword('finance ledger otter');
    expect((await verifyPassword(storedFromLetters, 'ﬁnance ledger otter')).valid).toBe(true);
  });

  it('never truncates: long passwords differing only in the last character do not match', async () => {
    const base = 'x'.repeat(199);
    const stored = await hashPassword(`${base}a`);
    expect((await verifyPassword(stored, `${base}a`)).valid).toBe(true);
    expect((await verifyPassword(stored, `${base}b`)).valid).toBe(false);
  });
});

describe('verifyAgainstDummyHash', () => {
  it('runs a real argon2 verification against a hash with the current parameters', async () => {
    const argon2VerifySpy = vi.mocked(argon2Verify);
    argon2VerifySpy.mockClear();

    await verifyAgainstDummyHash('ﬁnance ledger otter');

    expect(argon2VerifySpy).toHaveBeenCalledTimes(1);
    const [dummyHash, suppliedPassword] = argon2VerifySpy.mock.calls[0] ?? [];
    expect(dummyHash).toMatch(currentParametersPrefix);
    expect(suppliedPassword).toBe('finance ledger otter');
  });

  it('reuses one dummy hash instead of hashing on every call', async () => {
    const argon2VerifySpy = vi.mocked(argon2Verify);
    argon2VerifySpy.mockClear();

    await verifyAgainstDummyHash('first unknown e-mail');
    await verifyAgainstDummyHash('second unknown e-mail');

    const [first, second] = argon2VerifySpy.mock.calls.map(([hashed]) => hashed);
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });

  it('does argon2 work rather than returning at once', async () => {
    // Rounds alternate so that load from other processes hits both paths alike,
    // and the fastest round estimates the intrinsic cost. The bound is loose on
    // purpose: it catches a dummy path that skips argon2 (microseconds), not
    // small differences; the tests above pin the parameters exactly.
    const stored = await hashPassword('otter violin granite lantern');
    await verifyAgainstDummyHash('warm-up creates the dummy hash');
    let fastestReal = Number.POSITIVE_INFINITY;
    let fastestDummy = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round += 1) {
      fastestReal = Math.min(fastestReal, await durationMs(() => verifyPassword(stored, 'a wrong guess')));
      fastestDummy = Math.min(fastestDummy, await durationMs(() => verifyAgainstDummyHash('a wrong guess')));
    }
    expect(fastestDummy).toBeGreaterThan(fastestReal * 0.1);
  });
});

async function durationMs(run: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await run();
  return performance.now() - startedAt;
}
