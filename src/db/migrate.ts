import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './engine.js';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

interface Migration {
  version: number;
  name: string;
  script: string;
  checksum: string;
}

export class MigrationError extends Error {}

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export function readMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => {
      const match = FILE_NAME.exec(name);
      if (!match) throw new MigrationError(`Migration file name must look like 0001_name.sql: ${name}`);
      const script = readFileSync(join(dir, name), 'utf8');
      return { version: Number(match[1]), name, script, checksum: createHash('sha256').update(script).digest('hex') };
    });
}

/**
 * Applies pending migrations in order, each in its own transaction together with its bookkeeping row.
 * A migration that changed after it was applied is refused: history is never rewritten.
 */
export async function migrate(database: Database, dir = migrationsDir): Promise<{ applied: string[] }> {
  const migrations = readMigrations(dir);
  return database.withScriptSession(async (session) => {
    await session.runInTransaction(`
      CREATE TABLE IF NOT EXISTS pactum_migrations (
        version     integer PRIMARY KEY,
        name        text NOT NULL,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      );
      REVOKE ALL ON pactum_migrations FROM PUBLIC;`);
    const appliedRows = await session.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM pactum_migrations ORDER BY version',
    );
    const applied = new Map(appliedRows.map((row) => [row.version, row]));
    for (const row of appliedRows) {
      const file = migrations.find((m) => m.version === row.version);
      if (!file) throw new MigrationError(`Database has migration ${row.name}, which this version of Pactum does not know.`);
      if (file.checksum !== row.checksum) throw new MigrationError(`Migration ${row.name} was edited after it was applied.`);
    }
    const pending = migrations.filter((m) => !applied.has(m.version));
    for (const migration of pending) {
      // version, name and checksum come from our own files (validated above), never from input.
      await session.runInTransaction(`${migration.script}
        ;INSERT INTO pactum_migrations (version, name, checksum)
         VALUES (${migration.version}, '${migration.name}', '${migration.checksum}');`);
    }
    return { applied: pending.map((m) => m.name) };
  });
}
