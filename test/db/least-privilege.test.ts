import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/engine.js';
import { serviceRoleProblems } from '../../src/db/role-check.js';
import { runCommand } from '../helpers/run-command.js';
import { createTestDatabase, engineName, serverUrl, type TestDatabase } from '../helpers/test-database.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Least privilege at run time: the service's statements run as pactum_app, which cannot bypass row-level
 * security, owns nothing and has no role to switch up to, so isolation fails closed.
 */
describe(`least privilege at run time (${engineName})`, { timeout: 120_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const [tenant] = await db.asOwner<{ id: string }>(
      "INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Fenced AG') RETURNING id",
    );
    await db.asOwner("INSERT INTO vendors (tenant_id, name, website, notes, aliases) VALUES ($1, 'Seen by nobody', NULL, NULL, '{}')", [
      tenant!.id,
    ]);
  });
  afterAll(() => db.drop());

  it('a statement sent on the service pool without tenant settings sees no tenant rows', async () => {
    const kysely = db.database.kysely;
    expect((await sql<{ role: string }>`SELECT current_user AS role`.execute(kysely)).rows[0]!.role).toBe('pactum_app');
    expect(await kysely.selectFrom('tenants').select('id').execute()).toEqual([]);
    expect(await kysely.selectFrom('vendors').select('name').execute()).toEqual([]);
    expect(await kysely.transaction().execute((tx) => tx.selectFrom('vendors').select('name').execute())).toEqual([]);
    // The owner sees the rows: the emptiness above is the policy's doing.
    expect(await db.asOwner('SELECT name FROM vendors')).toHaveLength(1);
  });

  it.runIf(serverUrl)(
    'logs in as pactum_app: no superuser, no BYPASSRLS, owns nothing; RESET ROLE stays, SET ROLE to the owner fails',
    async () => {
      const kysely = db.database.kysely;
      expect(await serviceRoleProblems(kysely)).toEqual([]);
      const [{ owner } = { owner: '' }] = await db.asOwner<{ owner: string }>(
        "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'tenants'",
      );
      await kysely.connection().execute(async (connection) => {
        const who = () =>
          sql<{ login: string; role: string }>`SELECT session_user AS login, current_user AS role`
            .execute(connection)
            .then(({ rows }) => rows[0]);
        expect(await who()).toEqual({ login: 'pactum_app', role: 'pactum_app' });
        await sql`RESET ROLE`.execute(connection);
        expect(await who()).toEqual({ login: 'pactum_app', role: 'pactum_app' });
        await expect(sql`SET ROLE ${sql.id(owner)}`.execute(connection)).rejects.toMatchObject({ code: '42501' });
        await expect(sql`SET ROLE postgres`.execute(connection)).rejects.toMatchObject({ code: '42501' });
        await expect(sql`SET SESSION AUTHORIZATION ${sql.id(owner)}`.execute(connection)).rejects.toMatchObject({ code: '42501' });
        expect(await sql`SELECT name FROM vendors`.execute(connection).then(({ rows }) => rows)).toEqual([]);
      });
    },
  );

  it.runIf(serverUrl)(
    'a superuser URL (the one-URL quick start) still runs every statement as pactum_app, and is reported unfit',
    async () => {
      const quickStart = await openPostgres(db.url!, 1);
      try {
        const kysely = quickStart.kysely;
        await sql`RESET ROLE`.execute(kysely);
        expect((await sql<{ role: string }>`SELECT current_user AS role`.execute(kysely)).rows[0]!.role).toBe('pactum_app');
        expect(await kysely.selectFrom('vendors').select('name').execute()).toEqual([]);
        expect((await serviceRoleProblems(kysely)).join('; ')).toMatch(/logs in as postgres, a superuser/);
      } finally {
        await quickStart.close();
      }
    },
  );

  const base = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|NODE_ENV$|VITEST)/.test(name)));

  it.runIf(serverUrl)('outside production, serves with a superuser URL after one loud warning', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pactum-least-privilege-'));
    const env = {
      ...base(),
      PORT: '0',
      PACTUM_DATABASE_URL: db.url!,
      PACTUM_DATA_DIR: dataDir,
      PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not become ready:\n${output}`)), 90_000);
        const read = (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('Pactum is ready')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
      });
    } finally {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
    const warnings = output.split('\n').filter((line) => line.includes('!!!'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/logs in as postgres, a superuser.*NODE_ENV=production refuses it/);
  });

  it.runIf(serverUrl)('NODE_ENV=production refuses to serve with a superuser URL, in one line, exit 1', async () => {
    const production = {
      NODE_ENV: 'production',
      PORT: '0',
      PACTUM_PUBLIC_URL: 'https://pactum.example',
      PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
      PACTUM_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
      TWILIO_AUTH_TOKEN: 'not-a-real-token',
      TWILIO_FROM_NUMBER: '+41790000000',
      PACTUM_SMTP_URL: 'smtp://127.0.0.1:9',
      PACTUM_DATABASE_URL: db.url!,
      PACTUM_DATA_DIR: mkdtempSync(join(tmpdir(), 'pactum-least-privilege-')),
    };
    const refused = await runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...base(), ...production },
      timeoutMs: 90_000,
    });
    rmSync(production.PACTUM_DATA_DIR, { recursive: true, force: true });
    expect(refused.status, refused.stderr).toBe(1);
    const lines = refused.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pactum: NODE_ENV=production refuses to serve: .*logs in as postgres, a superuser/);
  });
});
