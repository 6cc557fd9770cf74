import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../src/http/problem.js';

const frames = (error: Error) => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

describe('ProblemError', () => {
  it('captures no stack for a refusal (4xx), keeps one for a failure (5xx), and leaves the limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const refusal = new ProblemError(429, 'rate_limited');
    const failure = new ProblemError(500, 'internal_error');
    expect(frames(refusal)).toBe(0);
    expect(refusal.message).toBe('Too many requests');
    expect(frames(failure)).toBeGreaterThan(0);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('ordinary'))).toBeGreaterThan(0);
  });
});
