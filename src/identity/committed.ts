import type { ProblemError } from '../http/problem.js';

/**
 * An outcome that must be committed before it is reported: a counted failure, an audited refusal. A
 * thrown error would roll the transaction back and erase exactly the record that matters.
 */
export type Committed<T> = { ok: true; value: T } | { ok: false; problem: ProblemError };

export function settle<T>(outcome: Committed<T>): T {
  if (!outcome.ok) throw outcome.problem;
  return outcome.value;
}

export async function reportAfterCommit<T>(outcome: Promise<Committed<T>>): Promise<T> {
  return settle(await outcome);
}
