import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

/** The answer to a deferred statement: it arrives with the next statement's, so it is not awaited at once. */
export interface Deferred<R> {
  answer: Promise<QueryResult<R>>;
}

/**
 * A connection that can hold back a statement whose answer its caller does not need before the next
 * statement: a transaction's role and tenant settings, a session check the database enforces itself.
 * Both drivers implement it. The PostgreSQL one sends the statement with the next one, saving a round
 * trip (src/db/postgres-dialect.ts); the embedded one has no round trips and runs it at once.
 *
 * In a READ ONLY transaction the deferred statements are the transaction's context and may write (the
 * session check records activity); read-only applies to every statement after them.
 */
export interface DeferringConnection extends DatabaseConnection {
  defer<R>(query: CompiledQuery): Promise<Deferred<R>>;
  /** Sends whatever is held back, on its own. */
  flush(): Promise<void>;
}

/** A Kysely instance or transaction: anything that lends out its connection. */
interface ConnectionLender {
  getExecutor(): { provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> };
}

function deferring(connection: DatabaseConnection): DeferringConnection {
  if (typeof (connection as Partial<DeferringConnection>).defer !== 'function') throw new Error('this database connection cannot defer statements');
  return connection as DeferringConnection;
}

/** Hands a statement to the transaction's connection to send ahead of the next one. */
export async function deferStatement<R>(lender: ConnectionLender, query: CompiledQuery): Promise<Deferred<R>> {
  return lender.getExecutor().provideConnection((connection) => deferring(connection).defer<R>(query));
}

/** Sends whatever a transaction holds back (a no-op when nothing is). */
export async function flushDeferred(lender: ConnectionLender): Promise<void> {
  await lender.getExecutor().provideConnection((connection) => deferring(connection).flush());
}
