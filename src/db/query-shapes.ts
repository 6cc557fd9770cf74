import type { Compilable, CompiledQuery } from 'kysely';
import type { Tx } from './tenant-context.js';

/**
 * A hot query whose SQL text depends only on which of its values are given, not on what they are, is built
 * and compiled by Kysely once per such shape; later calls only put their values into the parameters.
 * Building and compiling the contract list cost the app more CPU per request than mapping its 50 rows.
 *
 * A shape is compiled with stand-ins for the given values and remembers where each stand-in landed among
 * the parameters. A stand-in can only become a parameter: Kysely refuses to write an object into the SQL
 * text, so a value that would be inlined fails the first compile instead of being cached. Both engines
 * compile with Kysely's PostgreSQL compiler and no plugins (src/db/engine.ts), so one shape serves both.
 */
export function queryShape<Values extends Record<string, unknown>, Row>(build: (tx: Tx, values: Values) => Compilable<Row>) {
  const shapes = new Map<string, CompiledShape<Row>>();
  return async (tx: Tx, values: Values): Promise<Row[]> => {
    const given = Object.keys(values).filter((key) => values[key] !== undefined);
    const key = given.join(',');
    let shape = shapes.get(key);
    if (!shape) {
      shape = compileShape(build, tx, given);
      shapes.set(key, shape);
    }
    const parameters = shape.parameters.map((parameter) => (parameter instanceof StandIn ? values[parameter.key] : parameter));
    return (await tx.executeQuery<Row>({ ...shape.query, parameters })).rows;
  };
}

/** Where a value goes; never sent. */
class StandIn {
  constructor(readonly key: string) {}
}

interface CompiledShape<Row> {
  query: CompiledQuery<Row>;
  /** The compiled parameters, with the stand-ins of given values still in place. */
  parameters: readonly unknown[];
}

function compileShape<Values extends Record<string, unknown>, Row>(
  build: (tx: Tx, values: Values) => Compilable<Row>,
  tx: Tx,
  given: string[],
): CompiledShape<Row> {
  const standIns = Object.fromEntries(given.map((key) => [key, new StandIn(key)])) as unknown as Values;
  const query = build(tx, standIns).compile();
  const placed = new Set(query.parameters.filter((parameter) => parameter instanceof StandIn).map((standIn) => standIn.key));
  const unused = given.filter((key) => !placed.has(key));
  if (unused.length > 0) throw new Error(`queryShape: the query does not use the given value(s) ${unused.join(', ')}`);
  return { query, parameters: query.parameters };
}
