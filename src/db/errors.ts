/** PostgreSQL error classes the services translate into answers (same codes on both engines). */
export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503';
/**
 * Class 22, data exception: a value the database cannot take or compare as given (a date out of range,
 * a malformed timestamp, a numeric overflow). Caused by input the schemas let through, never by us.
 */
export const isDataException = (error: unknown) => /^22[0-9A-Z]{3}$/.test(sqlState(error) ?? '');
/** query_canceled: statement_timeout ended the statement (or an operator cancelled it). */
export const isQueryCanceled = (error: unknown) => sqlState(error) === '57014';
/** invalid_authorization_specification: what pactum_require_session raises for a dead session. */
export const isSessionRefused = (error: unknown) => sqlState(error) === '28000';

/**
 * The database could not serve a statement: unreachable, the connection broke or was ended by the server,
 * or no pooled connection freed up in time (`pool_exhausted`). Retryable: answered 503, never 500.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: 'unreachable' | 'connection_lost' | 'pool_exhausted',
    cause: unknown,
  ) {
    // The cause's message names what failed (refused, timed out, terminated); it carries no credentials.
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super(reason === 'pool_exhausted' ? 'no database connection became free in time' : `the database is unavailable (${reason}${why})`, {
      cause,
    });
  }
}

/** Runs a write and answers a unique violation with the given problem (e.g. 409 name_taken). */
export async function refusingDuplicates<T>(write: () => Promise<T>, duplicate: () => Error): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
}
