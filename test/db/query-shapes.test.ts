import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { queryShape } from '../../src/db/query-shapes.js';
import type { Schema } from '../../src/db/schema.js';
import type { Tx } from '../../src/db/tenant-context.js';

/** A Kysely that compiles as the app's does and records what it would send instead of sending it. */
function recordingDatabase() {
  const sent: CompiledQuery[] = [];
  const driver = new DummyDriver();
  const connection = {
    executeQuery: async (query: CompiledQuery) => (sent.push(query), { rows: [] }),
    streamQuery: () => {
      throw new Error('no streaming');
    },
  };
  driver.acquireConnection = async () => connection;
  const kysely = new Kysely<Schema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { tx: kysely as unknown as Tx, sent };
}

interface VendorFilter extends Record<string, unknown> {
  name?: string;
  website?: string;
  limit: number;
}

const vendors = (tx: Tx, values: VendorFilter) => {
  let query = tx.selectFrom('vendors').select(['id', 'name']);
  if (values.name !== undefined) query = query.where('name', '=', values.name);
  if (values.website !== undefined)
    query = query.where((eb) => eb.or([eb('website', '=', values.website!), eb('notes', '=', values.website!)]));
  return query.orderBy('name').limit(values.limit);
};

describe('query shapes', () => {
  it('sends what building the query afresh would send, for every combination of given values', async () => {
    const { tx, sent } = recordingDatabase();
    const list = queryShape(vendors);
    const calls: VendorFilter[] = [
      { limit: 10 },
      { name: 'Oracle', limit: 5 },
      { name: 'Adobe', website: 'https://adobe.example', limit: 7 },
      { website: 'https://atlassian.example', limit: 3 },
      { name: 'Oracle', limit: 5 },
      { limit: 11 },
    ];
    for (const values of calls) {
      await list(tx, values);
      const fresh = vendors(tx, values).compile();
      const last = sent.at(-1)!;
      expect({ sql: last.sql, parameters: last.parameters }).toEqual({ sql: fresh.sql, parameters: fresh.parameters });
    }
    expect(sent.at(2)!.parameters).toEqual(['Adobe', 'https://adobe.example', 'https://adobe.example', 7]);
  });

  it('builds each shape once', async () => {
    const { tx } = recordingDatabase();
    let builds = 0;
    const list = queryShape((innerTx: Tx, values: VendorFilter) => {
      builds += 1;
      return vendors(innerTx, values);
    });
    for (const name of ['Oracle', 'Adobe', undefined, 'SAP', undefined]) await list(tx, { name, limit: 10 });
    expect(builds).toBe(2);
  });

  it('refuses a value that would be written into the SQL text', async () => {
    const { tx } = recordingDatabase();
    const inlined = queryShape((innerTx: Tx, values: { limit: number }) =>
      innerTx.selectFrom('vendors').select('id').where(sql.lit(values.limit), '=', 1),
    );
    await expect(inlined(tx, { limit: 3 })).rejects.toThrow(/immediate value/);
  });

  it('refuses a value that the query changes before using it, which a shape cannot repeat', async () => {
    const { tx } = recordingDatabase();
    const transformed = queryShape((innerTx: Tx, values: { name?: string }) =>
      innerTx
        .selectFrom('vendors')
        .select('id')
        .where('name', 'ilike', `%${String(values.name)}%`),
    );
    await expect(transformed(tx, { name: 'Oracle' })).rejects.toThrow(/does not use the given value\(s\) name/);
  });
});
