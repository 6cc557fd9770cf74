import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';

/**
 * src/db/schema.ts is written by hand (it says more than the catalog can: the literal unions behind CHECK
 * constraints, columns only triggers write, numerics that travel as strings), so this test holds it to the
 * database that the migrations build, on both engines: the same tables, the same columns, the same
 * nullability, TypeScript types that fit the SQL types, and insert types that leave out only what the
 * database can fill. Any difference fails with one line per table or column.
 */

const SCHEMA_FILE = join(import.meta.dirname, '..', '..', 'src', 'db', 'schema.ts');

/** Readable by the app role but not queried through Kysely: the migrator reads it with plain SQL. */
const NOT_IN_KYSELY_SCHEMA = new Set(['pactum_migrations']);

/** What node-postgres and PGlite hand over for each SQL type (DATE stays a string: src/db/engine.ts). */
const TS_KINDS_BY_SQL_TYPE: Record<string, string[]> = {
  text: ['string'],
  varchar: ['string'],
  bpchar: ['string'],
  citext: ['string'],
  uuid: ['string'],
  inet: ['string'],
  date: ['string'],
  numeric: ['string'],
  int8: ['string', 'number'],
  int4: ['number'],
  int2: ['number'],
  bool: ['boolean'],
  timestamptz: ['Date', 'string'],
  timestamp: ['Date', 'string'],
  bytea: ['Buffer'],
  _text: ['string[]'],
  jsonb: ['object'],
  json: ['object'],
};

interface DbColumn {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  udt_name: string;
  has_default: boolean;
}

interface TsColumn {
  /** Kinds of the type a select returns: 'string', 'number', 'null', 'Date', 'string[]' … */
  select: Set<string>;
  /** Kinds an insert accepts; 'never' when inserts may not name the column at all. */
  insert: Set<string>;
}

describe(`src/db/schema.ts matches the migrated database (${engineName})`, () => {
  let db: TestDatabase;
  let columns: DbColumn[];
  let readable: Set<string>;
  let declared: Map<string, Map<string, TsColumn>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    columns = await db.asOwner<DbColumn>(`
      SELECT c.table_name, c.column_name, c.is_nullable, c.udt_name,
             (c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated = 'ALWAYS') AS has_default
        FROM information_schema.columns c
       WHERE c.table_schema = 'public'
       ORDER BY c.table_name, c.ordinal_position`);
    const tables = await db.asOwner<{ name: string }>(`
      SELECT c.relname AS name FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
         AND has_table_privilege('pactum_app', c.oid, 'SELECT')`);
    readable = new Set(tables.map((table) => table.name));
    declared = readSchemaFile();
  });

  afterAll(() => db?.drop());

  it('declares exactly the tables the app role can read, column for column', () => {
    const differences: string[] = [];
    for (const table of [...readable].sort()) {
      if (!declared.has(table) && !NOT_IN_KYSELY_SCHEMA.has(table))
        differences.push(`table ${table}: the app role can read it, but Schema does not declare it`);
    }
    for (const [table, tsColumns] of declared) {
      if (!readable.has(table)) {
        differences.push(
          `table ${table}: declared in Schema, but ${columns.some((c) => c.table_name === table) ? 'the app role cannot read it' : 'no such table'}`,
        );
        continue;
      }
      const dbColumns = columns.filter((column) => column.table_name === table);
      for (const column of dbColumns) {
        const ts = tsColumns.get(column.column_name);
        if (!ts) differences.push(`${table}.${column.column_name}: in the database (${column.udt_name}), missing in schema.ts`);
        else differences.push(...compareColumn(column, ts));
      }
      for (const name of tsColumns.keys()) {
        if (!dbColumns.some((column) => column.column_name === name))
          differences.push(`${table}.${name}: in schema.ts, no such column in the database`);
      }
    }
    expect(
      differences,
      `src/db/schema.ts disagrees with the migrated database; update it with the migration:\n  ${differences.join('\n  ')}\n`,
    ).toEqual([]);
  });

  it('notices a difference (the check itself works)', () => {
    const users = declared.get('users')!;
    const email = users.get('email')!;
    const column = columns.find((c) => c.table_name === 'users' && c.column_name === 'email')!;
    expect(compareColumn(column, email)).toEqual([]);
    expect(compareColumn({ ...column, is_nullable: 'YES' }, email)).toEqual([
      expect.stringContaining('users.email: nullable in the database'),
    ]);
    expect(compareColumn({ ...column, udt_name: 'int4' }, email)).toEqual([expect.stringContaining('users.email: int4 in the database')]);
    expect(compareColumn(column, { ...email, insert: new Set(['string', 'undefined']) })).toEqual([
      expect.stringContaining('users.email: schema.ts lets inserts leave it out'),
    ]);
  });
});

function compareColumn(column: DbColumn, ts: TsColumn): string[] {
  const name = `${column.table_name}.${column.column_name}`;
  const differences: string[] = [];
  const nullableInDb = column.is_nullable === 'YES';
  if (nullableInDb !== ts.select.has('null')) {
    differences.push(
      `${name}: ${nullableInDb ? 'nullable in the database, not in schema.ts' : 'NOT NULL in the database, nullable in schema.ts'}`,
    );
  }
  const allowed = TS_KINDS_BY_SQL_TYPE[column.udt_name];
  const kinds = [...ts.select].filter((kind) => kind !== 'null');
  if (!allowed) differences.push(`${name}: SQL type ${column.udt_name} has no TypeScript mapping in this test yet; add one`);
  else if (kinds.length === 0 || kinds.some((kind) => !allowed.includes(kind))) {
    differences.push(
      `${name}: ${column.udt_name} in the database (read as ${allowed.join(' | ')}), ${kinds.join(' | ') || 'never'} in schema.ts`,
    );
  }
  const canOmit = ts.insert.has('undefined');
  if (canOmit && !column.has_default && !nullableInDb)
    differences.push(`${name}: schema.ts lets inserts leave it out, but it is NOT NULL without a default`);
  if (!canOmit && !ts.insert.has('never') && column.has_default && !ts.select.has('null')) {
    // A column the database fills must be optional on insert, or every insert has to invent a value.
    differences.push(`${name}: has a default in the database, but schema.ts requires it on insert (use Defaulted<…>)`);
  }
  return differences;
}

/** Schema's tables and their columns, with each column's select and insert types resolved by the compiler. */
function readSchemaFile(): Map<string, Map<string, TsColumn>> {
  const program = ts.createProgram([SCHEMA_FILE], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE)!;
  const schema = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((symbol) => symbol.name === 'Schema');
  if (!schema) throw new Error('src/db/schema.ts exports no Schema interface');
  const tables = new Map<string, Map<string, TsColumn>>();
  for (const table of checker.getDeclaredTypeOfSymbol(schema).getProperties()) {
    const columns = new Map<string, TsColumn>();
    for (const column of checker.getTypeOfSymbolAtLocation(table, source).getProperties()) {
      const type = checker.getTypeOfSymbolAtLocation(column, source);
      const select = type.getProperty('__select__');
      const insert = type.getProperty('__insert__');
      columns.set(column.name, {
        select: kindsOf(checker, select ? checker.getTypeOfSymbolAtLocation(select, source) : type),
        insert: kindsOf(checker, insert ? checker.getTypeOfSymbolAtLocation(insert, source) : type),
      });
    }
    tables.set(table.name, columns);
  }
  return tables;
}

function kindsOf(checker: ts.TypeChecker, type: ts.Type): Set<string> {
  const kinds = new Set<string>();
  for (const part of type.isUnion() ? type.types : [type]) {
    const flags = part.getFlags();
    if (flags & ts.TypeFlags.Never) kinds.add('never');
    else if (flags & ts.TypeFlags.Null) kinds.add('null');
    else if (flags & ts.TypeFlags.Undefined) kinds.add('undefined');
    else if (flags & ts.TypeFlags.StringLike) kinds.add('string');
    else if (flags & ts.TypeFlags.NumberLike) kinds.add('number');
    else if (flags & ts.TypeFlags.BooleanLike) kinds.add('boolean');
    else if (checker.isArrayType(part))
      kinds.add(`${[...kindsOf(checker, checker.getTypeArguments(part as ts.TypeReference)[0]!)].join('|')}[]`);
    else if (part.getSymbol()?.name === 'Date' || part.getSymbol()?.name === 'Buffer') kinds.add(part.getSymbol()!.name);
    else kinds.add(checker.typeToString(part).startsWith('Record<') ? 'object' : checker.typeToString(part));
  }
  return kinds;
}
