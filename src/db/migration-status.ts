import { readMigrations } from './migrate.js';
import type { Database } from './engine.js';

/** Names of migrations the database has not applied yet (all of them on a fresh database). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const files = readMigrations();
  return database.withScriptSession(async (session) => {
    const [{ exists } = { exists: false }] = await session.query<{ exists: boolean }>(
      "SELECT to_regclass('public.pactum_migrations') IS NOT NULL AS exists",
    );
    if (!exists) return files.map((f) => f.name);
    const applied = new Set((await session.query<{ version: number }>('SELECT version FROM pactum_migrations')).map((r) => r.version));
    return files.filter((f) => !applied.has(f.version)).map((f) => f.name);
  });
}
