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
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Deferred, DeferringConnection } from './deferred-statements.js';
import { StatementBatch, type BatchedStatement } from './statement-batch.js';

/**
 * Kysely over a node-postgres pool, spending as few round trips as a transaction allows. On the 2-vCPU
 * machines we measure on, a round trip costs more than the statements it carries (decision 0003).
 *
 * - Deferred statements (DeferringConnection) — a transaction's BEGIN, its role and tenant settings, a
 *   session check — travel with the next statement in one batch (StatementBatch: one write, one Sync).
 *   A failure among them stops every statement behind it.
 * - A READ ONLY transaction is statement-scoped: no BEGIN and no COMMIT are sent. Each statement travels
 *   in a batch of its own with the transaction's deferred statements in front of it and SET TRANSACTION
 *   READ ONLY between them, and PostgreSQL runs the batch as one implicit transaction that ends at its
 *   Sync. Every statement thus runs in the transaction's context, re-established each time, and no
 *   statement without it; each sees a fresh snapshot, as it would under READ COMMITTED anyway. Context
 *   set by a statement that was not deferred does not carry over to the next statement.
 *
 * COMMIT is never deferred: whoever writes must know the write landed.
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
    batching(connection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await batching(connection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await batching(connection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    batching(connection).release();
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool && !pool.ended) await pool.end();
  }
}

function batching(connection: DatabaseConnection): BatchingConnection {
  if (!(connection instanceof BatchingConnection)) throw new Error('not a connection of the batching PostgreSQL driver');
  return connection;
}

/** A statement held back, and whoever waits for its first answer. */
interface HeldStatement {
  query: CompiledQuery;
  settle: ((outcome: { result: pg.QueryResult } | { error: Error }) => void) | null;
  begins: boolean;
}

const READ_ONLY = CompiledQuery.raw('SET TRANSACTION READ ONLY');

/**
 * Context statements repeat verbatim; each connection prepares them once, under a name from their text.
 * Held statements come from a handful of texts in our code (BEGIN, the context and session-check
 * statements, READ ONLY), so names are kept rather than hashed again for every batch of every request.
 */
const preparedNames = new Map<string, string>();
function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (name === undefined) {
    name = `pactum_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

class BatchingConnection implements DeferringConnection {
  readonly #client: pg.PoolClient;
  readonly #types: pg.CustomTypesConfig;
  /** Held back until the next statement. */
  #held: HeldStatement[] = [];
  /** Names of the statements this connection has prepared. */
  readonly #prepared = new Set<string>();
  /** In a statement-scoped (READ ONLY) transaction: the context every statement carries; else null. */
  #context: HeldStatement[] | null = null;
  #discarded = false;

  constructor(client: pg.PoolClient, types: pg.CustomTypesConfig) {
    this.#client = client;
    this.#types = types;
  }

  begin(settings: TransactionSettings): void {
    this.#assertUsable();
    if (settings.accessMode === 'read only' && !settings.isolationLevel) {
      this.#context = [];
      return;
    }
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    // Whatever could fail here, the transaction's first statement, which carries the BEGIN, reports.
    this.#hold(CompiledQuery.raw(`start transaction ${modes.join(' ')}`.trim()), true).catch(() => {});
  }

  async defer<R>(query: CompiledQuery): Promise<Deferred<R>> {
    this.#assertUsable();
    const answer = this.#hold(query, false).then((result) => toQueryResult<R>(result));
    return { answer };
  }

  async flush(): Promise<void> {
    const unanswered = (this.#context ?? this.#held).some((statement) => statement.settle);
    if (unanswered) await this.#send(null);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.#assertUsable();
    if (!this.#context && this.#held.length === 0) {
      return toQueryResult<R>(await this.#client.query({ text: query.sql, values: [...query.parameters] }));
    }
    return toQueryResult<R>((await this.#send(query))!);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming query results is not supported; page with keyset cursors instead');
  }

  async commit(): Promise<void> {
    if (this.#context) {
      // Every batch committed at its own Sync.
      this.#endStatementScope();
      return;
    }
    const { rows } = await this.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier error left the transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollback(): Promise<void> {
    if (this.#context) {
      // A failed batch was rolled back at its Sync; nothing else is open.
      this.#endStatementScope();
      return;
    }
    // Statements still held are moot; if the BEGIN was among them, nothing reached the server.
    if (this.#dropHeld()) return;
    try {
      await this.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      this.#discarded = true;
      throw error;
    }
  }

  release(): void {
    // Whatever is still held must not ride along with the next borrower's first statement.
    if (this.#held.length > 0) {
      this.#dropHeld();
      this.#discarded = true;
    }
    if (this.#context) this.#endStatementScope();
    this.#client.release(this.#discarded);
  }

  #hold(query: CompiledQuery, begins: boolean): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      const statement: HeldStatement = {
        query,
        begins,
        settle: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.result)),
      };
      (this.#context ?? this.#held).push(statement);
    });
  }

  /**
   * Sends one batch: in a statement-scoped transaction the context, READ ONLY and the statement; else
   * what is held and the statement. With no statement (a flush), what is held goes alone.
   */
  #send(query: CompiledQuery | null): Promise<pg.QueryResult | null> {
    const front = this.#context
      ? [...this.#context.map(answerOnce), ...(query ? [{ query: READ_ONLY, settle: ignore }] : [])]
      : this.#held.splice(0).map(answerOnce);
    return new Promise((resolve, reject) => {
      const statements: BatchedStatement[] = front.map(({ query: held, settle }) => this.#prepare(held, settle));
      if (query) {
        statements.push({
          sql: query.sql,
          parameters: query.parameters,
          settle: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.result)),
        });
      } else {
        const last = statements.at(-1)!;
        const settleLast = last.settle;
        last.settle = (outcome) => {
          settleLast(outcome);
          resolve(null);
        };
      }
      this.#client.query(new StatementBatch(statements, this.#types));
    });
  }

  /** Held statements and READ ONLY are prepared: parsed once per connection, not with every batch. */
  #prepare(query: CompiledQuery, settle: BatchedStatement['settle']): BatchedStatement {
    const name = preparedName(query.sql);
    const parsed = this.#prepared.has(name);
    return {
      sql: query.sql,
      parameters: query.parameters,
      prepared: { name, parsed },
      settle: (outcome) => {
        // Known to be parsed once it ran; after a failure it is parsed again (StatementBatch closes it first).
        if ('result' in outcome) this.#prepared.add(name);
        else this.#prepared.delete(name);
        settle(outcome);
      },
    };
  }

  #dropHeld(): boolean {
    const unsent = this.#held.splice(0);
    for (const statement of unsent) statement.settle?.({ error: endedBeforeSent() });
    return unsent.some((statement) => statement.begins);
  }

  #endStatementScope(): void {
    const context = this.#context ?? [];
    this.#context = null;
    for (const statement of context) statement.settle?.({ error: endedBeforeSent() });
  }

  #assertUsable(): void {
    if (this.#discarded) throw new Error('this PostgreSQL connection has been discarded');
  }
}

const ignore = () => {};
const endedBeforeSent = () => new Error('the transaction ended before this statement was sent');

/** The first batch that carries a held statement answers its caller; later ones only stop on its failure. */
function answerOnce(statement: HeldStatement): { query: CompiledQuery; settle: BatchedStatement['settle'] } {
  const settle = statement.settle ?? ignore;
  statement.settle = null;
  return { query: statement.query, settle };
}

function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
  const writes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { numAffectedRows: writes ? BigInt(rowCount ?? 0) : undefined, rows: (rows ?? []) as R[] };
}
