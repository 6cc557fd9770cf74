import {
  AbortedTransactionError,
  type CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import { DatabaseUnavailableError, sqlState } from './errors.js';
import { CONTEXT_STATEMENTS } from './tenant-context.js';

/**
 * Kysely over a node-postgres pool created with `pipeline: true`, through public APIs only. On the 2-vCPU
 * machines we measure on, a round trip costs more than the statements it carries (decision 0004), so a
 * transaction's BEGIN and its context statements (CONTEXT_STATEMENTS: tenant settings, session check,
 * SET TRANSACTION READ ONLY) are sent without waiting for their answers; they reach the server with the
 * next statement, and their answers come back with its answer, in one round trip. Inside a transaction a
 * failed context statement aborts it, so nothing sent behind it runs; the next awaited statement, the
 * COMMIT or the ROLLBACK reports that failure rather than the "transaction is aborted" behind it.
 *
 * Context statements are a fixed set of texts, prepared once per connection under fixed names, so what a
 * connection holds prepared cannot grow. A transaction that declared itself read-only (the scoped read)
 * does not wait for its COMMIT either: it changed nothing anyone waits on, and the connection's next
 * statement is queued behind that COMMIT.
 *
 * Every checked-out client has an `error` listener (the pool's covers idle clients only): a connection the
 * server ends (57P01) or that breaks fails the request with DatabaseUnavailableError and is discarded.
 */
export class PipelinedPostgresDialect implements Dialect {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    if (!pool.options.pipeline) throw new Error('the PostgreSQL dialect needs a pool created with pipeline: true');
    this.#pool = pool;
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PipelinedPostgresDriver(this.#pool);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

/** Prepared-statement names of the context statements, by text. */
const PREPARED = new Map<string, string>(Object.entries(CONTEXT_STATEMENTS).map(([key, text]) => [text, `pactum_${key}`]));

class PipelinedPostgresDriver implements Driver {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // A full pool queues the request: if that wait times out, the node is overloaded, not the database away.
    const queued = this.#pool.idleCount === 0 && this.#pool.totalCount >= (this.#pool.options.max ?? 10);
    try {
      return new PipelinedConnection(await this.#pool.connect());
    } catch (error) {
      throw new DatabaseUnavailableError(queued && sqlState(error) === undefined ? 'pool_exhausted' : 'unreachable', error);
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    pipelined(connection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await pipelined(connection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await pipelined(connection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    pipelined(connection).release();
  }

  async destroy(): Promise<void> {
    if (!this.#pool.ended && !this.#pool.ending) await this.#pool.end();
  }
}

function pipelined(connection: DatabaseConnection): PipelinedConnection {
  if (!(connection instanceof PipelinedConnection)) throw new Error('not a connection of the pipelined PostgreSQL driver');
  return connection;
}

const ignore = () => {};

/** SQLSTATEs of a connection that is gone: class 08, and the server ending the backend (57P01–57P03). */
const CONNECTION_LOST = /^(08|57P0[1-3])/;

/**
 * A failure of the connection rather than of the statement. The socket's own error (EPIPE, ECONNRESET: a
 * system error with a `syscall`) or node-postgres's word for a closed connection can reach a statement
 * before the client's `error` event has marked the connection lost.
 */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ('syscall' in error || /^Connection terminated|not queryable/.test(error.message)) return true;
  return CONNECTION_LOST.test(sqlState(error) ?? '');
}

class PipelinedConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  /** The transaction's BEGIN, sent with its first statement: a transaction refused before any sends nothing. */
  #begin: string | null = null;
  #inTransaction = false;
  #readOnly = false;
  /** Answers of statements sent without waiting, in the order sent. */
  #unreported: Array<Promise<unknown>> = [];
  /** Why the connection broke, once it has: it is then discarded on release. */
  #lost: unknown = null;
  readonly #onError = (error: Error) => {
    this.#lost ??= error;
  };

  constructor(client: pg.PoolClient) {
    this.#client = client;
    client.on('error', this.#onError);
  }

  begin(settings: TransactionSettings): void {
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    this.#begin = `start transaction ${modes.join(' ')}`.trim();
    this.#inTransaction = true;
    this.#readOnly = settings.accessMode === 'read only';
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const name = this.#inTransaction ? PREPARED.get(query.sql) : undefined;
    const answer = this.#send(query.sql, query.parameters, name);
    answer.catch(ignore);
    if (name) {
      // A context statement: its answer is never read, and it is reported by whatever is awaited next.
      if (query.sql === CONTEXT_STATEMENTS.readOnly) this.#readOnly = true;
      this.#unreported.push(answer);
      return { rows: [] };
    }
    try {
      await this.#reportUnanswered();
    } catch (error) {
      // The statement behind a failed context statement is answered at once (the transaction is aborted);
      // waiting for it means the caller hears of the failure once the connection owes nothing, so what it
      // sends next (the ROLLBACK) starts afresh instead of racing that answer.
      await answer.catch(ignore);
      throw error;
    }
    return toQueryResult<R>(await answer);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming query results is not supported; page with keyset cursors instead');
  }

  async commit(): Promise<void> {
    if (this.#endTransaction()) return;
    const answer = this.#send('commit');
    answer.catch(ignore);
    if (this.#readOnly && this.#unreported.length === 0) return;
    await this.#reportUnanswered();
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier error left the transaction aborted.
    if ((await answer).command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollback(): Promise<void> {
    if (this.#endTransaction() || this.#lost) return;
    const answer = this.#send('rollback');
    answer.catch(ignore);
    // A context statement that failed is what the caller must hear (e.g. a dead session: 401), even when
    // the work failed for its own reasons before it sent anything.
    await this.#reportUnanswered();
    await answer;
  }

  release(): void {
    this.#client.removeListener('error', this.#onError);
    // A connection that broke, or that ends with answers unreported, must not serve the next borrower.
    const discard = this.#lost !== null || this.#inTransaction;
    this.#client.release(discard ? ((this.#lost as Error) ?? new Error('released inside a transaction')) : undefined);
  }

  /** True when the transaction never sent anything, so there is nothing to end. */
  #endTransaction(): boolean {
    const unsent = this.#begin !== null;
    this.#begin = null;
    this.#inTransaction = false;
    return unsent;
  }

  #send(text: string, parameters: readonly unknown[] = [], name?: string): Promise<pg.QueryResult> {
    if (this.#lost) return Promise.reject(this.#unavailable(this.#lost));
    if (this.#begin) {
      const begin = this.#query({ text: this.#begin });
      begin.catch(ignore);
      this.#unreported.push(begin);
      this.#begin = null;
    }
    return this.#query({ text, values: [...parameters], name });
  }

  /** Every statement goes through here, BEGIN included, so a broken connection always reads as one. */
  #query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    return this.#client.query(config).catch((error: unknown) => {
      throw this.#lost || isConnectionFailure(error) ? this.#unavailable(error) : error;
    });
  }

  /** Throws the first failure among statements sent without waiting, in the order they were sent. */
  async #reportUnanswered(): Promise<void> {
    for (const answer of this.#unreported.splice(0)) await answer;
  }

  #unavailable(error: unknown): DatabaseUnavailableError {
    this.#lost ??= error;
    return error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError('connection_lost', error);
  }
}

function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  const writes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { numAffectedRows: writes ? BigInt(rowCount ?? 0) : undefined, rows: (rows ?? []) as R[] };
}
