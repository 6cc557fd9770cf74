import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loginThrottle } from '../../src/identity/login-throttle.js';

const now = new Date('2026-11-26T12:00:00Z');
const failedSecondsAgo = (consecutive: number, seconds: number) => ({
  consecutive,
  last_failed_at: new Date(now.getTime() - seconds * 1000),
});

describe('loginThrottle', () => {
  it('allows the first five failures without delay', () => {
    expect(loginThrottle(undefined, now)).toEqual({ allowed: true });
    expect(loginThrottle(failedSecondsAgo(4, 0), now)).toEqual({ allowed: true });
  });

  it('delays from the fifth failure on, growing and capped at 15 minutes', () => {
    expect(loginThrottle(failedSecondsAgo(5, 0), now)).toEqual({ allowed: false, retryAfterSeconds: 5, locked: false });
    expect(loginThrottle(failedSecondsAgo(6, 0), now)).toEqual({ allowed: false, retryAfterSeconds: 10, locked: false });
    expect(loginThrottle(failedSecondsAgo(60, 0), now)).toEqual({ allowed: false, retryAfterSeconds: 900, locked: false });
    expect(loginThrottle(failedSecondsAgo(5, 5), now)).toEqual({ allowed: true });
  });

  it('stops hard at 100 failures regardless of time', () => {
    expect(loginThrottle(failedSecondsAgo(100, 86_400 * 365), now)).toMatchObject({ allowed: false, locked: true });
  });

  it('never asks for a negative or zero wait, and more failures never shorten it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 98 }), fc.integer({ min: 0, max: 2000 }), (consecutive, ago) => {
        const a = loginThrottle(failedSecondsAgo(consecutive, ago), now);
        const b = loginThrottle(failedSecondsAgo(consecutive + 1, ago), now);
        if (!a.allowed) expect(a.retryAfterSeconds).toBeGreaterThan(0);
        if (!a.allowed) expect(b.allowed).toBe(false);
        if (!a.allowed && !b.allowed) expect(b.retryAfterSeconds).toBeGreaterThanOrEqual(a.retryAfterSeconds);
      }),
    );
  });
});
