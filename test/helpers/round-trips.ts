import pg from 'pg';

/**
 * Counts round trips to PostgreSQL made by the node-postgres clients of this process. With pipelining a
 * statement sent while its connection still owes an answer rides along with what is in flight; one sent
 * to a connection that owes nothing starts a round trip. (A scoped read's COMMIT starts one that nobody
 * waits for: it is counted too.)
 */
export function countRoundTrips(): { readonly count: number; reset(): void; restore(): void } {
  const query = pg.Client.prototype.query;
  const owed = new WeakMap<object, number>();
  let count = 0;
  pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    const before = owed.get(this) ?? 0;
    if (before === 0) count += 1;
    owed.set(this, before + 1);
    const answered = () => owed.set(this, (owed.get(this) ?? 1) - 1);
    const result = (query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) result.then(answered, answered);
    else answered();
    return result;
  } as typeof query;
  return {
    get count() {
      return count;
    },
    reset: () => void (count = 0),
    restore: () => void (pg.Client.prototype.query = query),
  };
}
