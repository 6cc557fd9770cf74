import type { PGlite } from '@electric-sql/pglite';
import {
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

/**
 * Kysely dialect for PGlite (embedded PostgreSQL in WebAssembly).
 *
 * Why our own: Kysely's built-in PGlite dialect needs Node 22, and kysely-pglite pulls a code-generation
 * CLI into production. PGlite is one connection, so this driver behaves like a pool of size one: a caller
 * holds the connection for a whole transaction and everyone else waits, which keeps transactions from
 * interleaving exactly as separate pooled connections would. Context statements (CONTEXT_STATEMENTS),
 * which the PostgreSQL driver sends without waiting, run at once here: in-process, there is no round trip
 * to save, and a failing one fails before the work runs.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}

  createDriver(): Driver {
    return new PGliteDriver(this.pglite);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;

  constructor(pglite: PGlite) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PGliteConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('COMMIT');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('ROLLBACK');
  }

  async destroy(): Promise<void> {
    await this.#queue;
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async begin(settings: TransactionSettings): Promise<void> {
    const modes = [settings.isolationLevel && `ISOLATION LEVEL ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    await this.#run(CompiledQuery.raw(`START TRANSACTION ${modes.join(' ')}`.trim()));
  }

  async end(command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    await this.#run(CompiledQuery.raw(command));
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.#run<R>(compiled);
  }

  async #run<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // PGlite executes on the main thread. Yielding before each statement lets timers and I/O run between
    // queued transactions, so a burst of requests cannot stall the event loop for hundreds of ms.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const result = await this.pglite.query<R>(compiled.sql, compiled.parameters as unknown[], { rowMode: 'object' });
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows == null ? undefined : BigInt(result.affectedRows),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not stream query results.');
  }
}
