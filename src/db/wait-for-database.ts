import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseUnavailableError } from './errors.js';

/** The database stayed unreachable for the whole wait; `serve` gives up with this one line. */
export class DatabaseWaitExpiredError extends Error {}

export interface WaitForDatabaseOptions {
  /** Total time to keep trying (PACTUM_DATABASE_WAIT_SECONDS); 0 tries once. */
  waitSeconds: number;
  /** Where the database is, without credentials (see describeDatabase). */
  target: string;
  /** One line per failed attempt; never given the connection string. */
  onRetry: (attempt: { attempt: number; reason: string; retryInMs: number; target: string }) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  /** 0..1; the default spreads the retries of nodes that lost the same database apart. */
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, retrying with capped exponential backoff while the database is
 * unreachable — a node started during a failover or a database restart then comes up by itself, and a
 * supervisor need not restart it in a tight loop. Errors that waiting cannot cure (pending migrations,
 * a wrong password, a missing database) are thrown at once.
 */
export async function waitForDatabase<T>(attempt: () => Promise<T>, options: WaitForDatabaseOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const firstDelayMs = options.firstDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const deadline = now() + options.waitSeconds * 1000;
  for (let count = 1; ; count += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const reason = describeFailure(error);
      const left = deadline - now();
      if (left <= 0) {
        throw new DatabaseWaitExpiredError(
          `the database at ${options.target} was not reachable within PACTUM_DATABASE_WAIT_SECONDS=${options.waitSeconds} (${count} attempts; last: ${reason})`,
        );
      }
      const backoff = Math.min(maxDelayMs, firstDelayMs * 2 ** (count - 1));
      const retryInMs = Math.min(left, Math.round(backoff * (0.8 + 0.4 * random())));
      options.onRetry({ attempt: count, reason, retryInMs, target: options.target });
      await pause(retryInMs);
    }
  }
}

/** host:port/database of a connection string: enough to find the server, no user name or password. */
export function describeDatabase(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    return `${host}:${url.port || '5432'}${url.pathname || '/'}`;
  } catch {
    return 'the configured server';
  }
}

/** SQLSTATEs that say the server is there but not (yet) taking work; waiting cures them. */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * True for failures of reaching the server: socket errors (ECONNREFUSED, ETIMEDOUT, DNS during a
 * failover …), connection-exception class 08, a server shutting down or starting up, too many
 * connections, and node-postgres' own connection errors, which carry no code at all ("Connection
 * terminated unexpectedly", connect timeouts). A PostgreSQL error with any other SQLSTATE is an answer
 * from a working server (28P01 wrong password, 3D000 no such database), and waiting would not change it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The driver's own verdict, for work that went through the request pool.
  if (error instanceof DatabaseUnavailableError) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  const code = 'code' in error ? String((error as { code: unknown }).code) : undefined;
  if (code === undefined) return error.constructor === Error;
  if (/^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || TRANSIENT_SQLSTATES.has(code);
  return /^E[A-Z_]+$/.test(code);
}

function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeFailure(error.errors[0]);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const message = error instanceof Error ? error.message : String(error);
  // The message of a socket error names host and port, never credentials; cut it to one short line.
  const line = message.split('\n', 1)[0]!.slice(0, 200);
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}
