import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/db/migrate.js';
import { DatabaseUnavailableError } from '../../src/db/errors.js';
import { DatabaseWaitExpiredError, describeDatabase, isDatabaseUnavailable, waitForDatabase } from '../../src/db/wait-for-database.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A clock that moves only when the code under test sleeps. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('waiting for the database at start', () => {
  it('retries an unreachable database with capped exponential backoff, one log line per attempt, until it answers', async () => {
    const time = fakeTime();
    const lines: string[] = [];
    let calls = 0;
    const result = await waitForDatabase(
      async () => {
        calls += 1;
        if (calls < 8) throw refused();
        return 'ready';
      },
      {
        waitSeconds: 300,
        target: 'db:5432/pactum',
        onRetry: (a) => lines.push(`${a.attempt} ${a.reason} ${a.retryInMs}`),
        random: () => 0.5,
        ...time,
      },
    );
    expect(result).toBe('ready');
    expect(calls).toBe(8);
    expect(time.sleeps).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('1 connect ECONNREFUSED 127.0.0.1:5432 250');
  });

  it('gives up after the configured time with one line naming the setting and the last reason', async () => {
    const time = fakeTime();
    const attempt = waitForDatabase(
      async () => {
        throw refused();
      },
      { waitSeconds: 10, target: 'db:5432/pactum', onRetry: () => {}, random: () => 0.5, ...time },
    );
    await expect(attempt).rejects.toThrow(DatabaseWaitExpiredError);
    await expect(attempt).rejects.toThrow(/db:5432\/pactum.*PACTUM_DATABASE_WAIT_SECONDS=10.*ECONNREFUSED/);
    expect(time.now()).toBe(10_000);
  });

  it('does not wait for what waiting cannot cure: pending migrations, a wrong password, a missing database', async () => {
    for (const error of [
      new MigrationError('the database needs migrations'),
      Object.assign(new Error('password authentication failed for user "pactum_app"'), { code: '28P01' }),
      Object.assign(new Error('database "pactum" does not exist'), { code: '3D000' }),
    ]) {
      const time = fakeTime();
      await expect(
        waitForDatabase(async () => Promise.reject(error), { waitSeconds: 300, target: 'x', onRetry: () => {}, ...time }),
      ).rejects.toBe(error);
      expect(time.sleeps).toEqual([]);
    }
  });

  it('counts a server starting up or shutting down, lost connections and timeouts as unreachable', () => {
    for (const code of ['57P03', '57P01', '08006', '53300', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND']) {
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    // Work that went through the request pool arrives already judged by the driver.
    expect(isDatabaseUnavailable(new DatabaseUnavailableError('connection_lost', refused()))).toBe(true);
  });

  it('describes where the database is without its credentials', () => {
    expect(describeDatabase('postgres://pactum_app:s3cret@db.internal:6432/pactum?sslmode=require')).toBe('db.internal:6432/pactum');
    expect(describeDatabase('postgres://db.internal/pactum')).toBe('db.internal:5432/pactum');
    expect(describeDatabase('not a url with s3cret')).not.toContain('s3cret');
  });
});
