import pg from 'pg';

/** One statement of a batch, and what to do with its outcome. */
export interface BatchedStatement {
  sql: string;
  parameters: readonly unknown[];
  /**
   * A prepared statement's name, for texts sent again and again (a transaction's context): parsed once
   * per connection, then only bound and executed. `parsed` says the connection is known to hold it;
   * otherwise it is closed first (closing a name that does not exist is no error), since a statement
   * whose execution failed may or may not have been parsed.
   */
  prepared?: { name: string; parsed: boolean };
  settle(outcome: { result: pg.QueryResult } | { error: Error }): void;
}

/** The parts of node-postgres's Result this batch uses to parse rows exactly as a plain query would. */
interface RowParsingResult extends pg.QueryResult {
  addFields(fields: unknown[]): void;
  parseRow(values: unknown[]): Record<string, unknown>;
  addRow(row: Record<string, unknown>): void;
  addCommandComplete(message: unknown): void;
}

/** node-postgres's own conversion of JavaScript values to wire text (dates, buffers, arrays, JSON). */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): string | Buffer | null } }).utils.prepareValue;

/**
 * Several statements sent in one write and answered in one round trip: each is Parse, Bind, Describe and
 * Execute of the extended protocol (so parameters stay bind parameters), and one Sync closes the batch.
 * PostgreSQL runs them in order and, once one fails, skips the rest up to the Sync, so a statement never
 * runs after one it depends on has failed: those statements are settled with the failing one's error.
 *
 * This is node-postgres's documented extension point (a Submittable, as pg-cursor is); the client sends it
 * only when the connection is idle and hands it every message until ReadyForQuery, or until an error.
 */
export class StatementBatch implements pg.Submittable {
  readonly #statements: BatchedStatement[];
  readonly #types: pg.CustomTypesConfig;
  #current = 0;
  #result: RowParsingResult | null = null;
  #settled = false;

  constructor(statements: BatchedStatement[], types: pg.CustomTypesConfig) {
    this.#statements = statements;
    this.#types = types;
  }

  submit(connection: pg.Connection): void {
    // One write for the whole batch, as node-postgres corks the messages of a single query.
    connection.stream.cork();
    try {
      for (const statement of this.#statements) {
        // Otherwise the unnamed statement; the unnamed portal either way: each replaces the previous one.
        const name = statement.prepared?.name ?? '';
        if (statement.prepared && !statement.prepared.parsed) connection.close({ type: 'S', name }, true);
        if (!statement.prepared?.parsed) connection.parse({ name, text: statement.sql, types: [] }, true);
        connection.bind({ portal: '', statement: name, values: statement.parameters.map((value) => prepareValue(value)) }, true);
        connection.describe({ type: 'P', name: '' }, true);
        connection.execute({ portal: '' }, true);
      }
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.#resultOfCurrent().addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    const result = this.#resultOfCurrent();
    result.addRow(result.parseRow(message.fields));
  }

  handleCommandComplete(message: unknown): void {
    const result = this.#resultOfCurrent();
    result.addCommandComplete(message);
    this.#completeCurrent(result);
  }

  handleEmptyQuery(): void {
    this.#completeCurrent(this.#resultOfCurrent());
  }

  /** A statement failed (PostgreSQL skips the rest), or the connection broke before the batch completed. */
  handleError(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const statement of this.#statements.slice(this.#current)) statement.settle({ error });
  }

  handleReadyForQuery(): void {
    if (this.#settled) return;
    this.#settled = true;
    const unanswered = this.#statements.slice(this.#current);
    const error = new Error('PostgreSQL ended a statement batch without answering every statement');
    for (const statement of unanswered) statement.settle({ error });
  }

  handlePortalSuspended(): void {
    this.handleError(new Error('a batched statement was suspended; batches do not page through rows'));
  }

  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY is not supported in a statement batch');
  }

  handleCopyData(): void {}

  #resultOfCurrent(): RowParsingResult {
    this.#result ??= new pg.Result(undefined as unknown as string, this.#types as never) as RowParsingResult;
    return this.#result;
  }

  #completeCurrent(result: RowParsingResult): void {
    const statement = this.#statements[this.#current];
    this.#current += 1;
    this.#result = null;
    statement?.settle({ result });
  }
}
