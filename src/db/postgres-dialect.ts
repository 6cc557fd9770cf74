import {
  AbortedTransactionError,
  CompiledQuery,
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
import { StatementBatch, type BatchedStatement } from './statement-batch.js';

/**
 * Kysely over a node-postgres pool, with one addition: statements whose answer is not needed before the
 * next one — a transaction's BEGIN, the settings that give it its role and tenant, a session check the
 * database enforces itself — can be deferred. They then travel with the next statement in one batch
 * (one write, one round trip; see StatementBatch), in order, and a failure among them stops the statements
 * behind it. Every other statement, and every COMMIT, is sent and awaited as usual.
 *
 * On this kind of machine a round trip costs far more than the statements it carries (system calls on
 * both sides): a read in a tenant's transaction takes two round trips instead of four.
 */
export class BatchingPostgresDialect implements Dialect {
  readonly #pool: pg.Pool;
  readonly #types: pg.CustomTypesConfig;

  constructor(options: { pool: pg.Pool; types: pg.CustomTypesConfig }) {
    this.#pool = options.pool;
    this.#types = options.types;
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new BatchingPostgresDriver(this.#pool, this.#types);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class BatchingPostgresDriver implements Driver {
  readonly #connections = new WeakMap<pg.PoolClient, BatchingConnection>();
  #pool: pg.Pool | null;
  readonly #types: pg.CustomTypesConfig;

  constructor(pool: pg.Pool, types: pg.CustomTypesConfig) {
    this.#pool = pool;
    this.#types = types;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#pool) throw new Error('the database driver has been destroyed');
    const client = await this.#pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new BatchingConnection(client, this.#types);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    // Nothing can fail here that the transaction's first statement would not report: it carries the BEGIN.
    void asBatching(connection).defer(CompiledQuery.raw(`start transaction ${modes.join(' ')}`.trim())).catch(() => {});
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier error left the transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const batching = asBatching(connection);
    // Statements still queued are moot; if the BEGIN itself was queued, nothing reached the server.
    if (batching.dropDeferred()) return;
    try {
      await batching.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      batching.discard();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    asBatching(connection).release();
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool && !pool.ended) await pool.end();
  }
}

function asBatching(connection: DatabaseConnection): BatchingConnection {
  if (!(connection instanceof BatchingConnection)) throw new Error('not a connection of the batching PostgreSQL driver');
  return connection;
}

interface Deferred extends BatchedStatement {
  begins: boolean;
}

export class BatchingConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  readonly #types: pg.CustomTypesConfig;
  #deferred: Deferred[] = [];
  #discarded = false;

  constructor(client: pg.PoolClient, types: pg.CustomTypesConfig) {
    this.#client = client;
    this.#types = types;
  }

  /**
   * Queues a statement to go out with the next one. The promise settles when that batch is answered; a
   * caller that does not need the answer may ignore it, since its failure also fails the statements
   * behind it.
   */
  defer<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.#assertUsable();
    return new Promise<QueryResult<R>>((resolve, reject) => {
      this.#deferred.push({
        sql: query.sql,
        parameters: query.parameters,
        begins: /^start transaction\b/.test(query.sql),
        settle: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(toQueryResult<R>(outcome.result))),
      });
    });
  }

  /** Sends what is deferred, if anything, on its own. */
  async flush(): Promise<void> {
    if (this.#deferred.length === 0) return;
    await this.#sendBatch(null);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.#assertUsable();
    if (this.#deferred.length === 0) {
      return toQueryResult<R>(await this.#client.query({ text: query.sql, values: [...query.parameters] }));
    }
    const result = await this.#sendBatch(query);
    return toQueryResult<R>(result!);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming query results is not supported; page with keyset cursors instead');
  }

  /** Drops what is still queued; true if that included the transaction's BEGIN (nothing was sent). */
  dropDeferred(): boolean {
    const unsent = this.#deferred;
    this.#deferred = [];
    const error = new Error('the transaction ended before this statement was sent');
    for (const statement of unsent) statement.settle({ error });
    return unsent.some((statement) => statement.begins);
  }

  discard(): void {
    this.#discarded = true;
  }

  release(): void {
    // Whatever is still queued must not ride along with the next borrower's first statement.
    if (this.#deferred.length > 0) {
      this.dropDeferred();
      this.#discarded = true;
    }
    this.#client.release(this.#discarded);
  }

  #sendBatch(query: CompiledQuery | null): Promise<pg.QueryResult | null> {
    const batch: BatchedStatement[] = this.#deferred;
    this.#deferred = [];
    return new Promise((resolve, reject) => {
      const last: BatchedStatement | null = query && {
        sql: query.sql,
        parameters: query.parameters,
        settle: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.result)),
      };
      if (!last) {
        // Flushing: the batch's own statements report their outcome; this promise only says it is done.
        const final = batch.at(-1)!;
        const settleFinal = final.settle;
        final.settle = (outcome) => {
          settleFinal(outcome);
          resolve(null);
        };
      }
      this.#client.query(new StatementBatch(last ? [...batch, last] : batch, this.#types));
    });
  }

  #assertUsable(): void {
    if (this.#discarded) throw new Error('this PostgreSQL connection has been discarded');
  }
}

function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
  const writes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { numAffectedRows: writes ? BigInt(rowCount ?? 0) : undefined, rows: (rows ?? []) as R[] };
}

/**
 * Runs a statement whose answer the caller does not need before its next statement: deferred on the
 * batching PostgreSQL driver, executed at once on any other (the embedded engine has no round trips).
 */
type ExecutorOwner = { getExecutor(): { provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> } };

/**
 * Runs a statement whose answer its caller does not need before the next statement: deferred on the
 * batching PostgreSQL driver (the answer arrives with the next statement's), executed at once on any
 * other engine (the embedded one has no round trips), where a failure is thrown right here.
 */
export async function deferStatement<R>(owner: ExecutorOwner, query: CompiledQuery): Promise<{ answer: Promise<QueryResult<R>> }> {
  return owner.getExecutor().provideConnection(async (connection) => {
    if (connection instanceof BatchingConnection) return { answer: connection.defer<R>(query) };
    const result = await connection.executeQuery<R>(query);
    return { answer: Promise.resolve(result) };
  });
}

/** Sends whatever a transaction has deferred (a no-op when nothing is, and on other engines). */
export async function flushDeferred(owner: ExecutorOwner): Promise<void> {
  await owner.getExecutor().provideConnection(async (connection) => {
    if (connection instanceof BatchingConnection) await connection.flush();
  });
}
