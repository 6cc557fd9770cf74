import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '../helpers/run-command.js';
import { openEmbedded } from '../../src/db/engine.js';
import { createTestDatabase, engineName, serverUrl } from '../helpers/test-database.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'pactum-audit-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the real command line with nothing from the caller's environment that configures Pactum. */
function pactum(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PACTUM_|TWILIO_|STRIPE_|NODE_ENV$|VITEST)/.test(name)),
  );
  return runCommand(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...base, PACTUM_DATA_DIR: dataDir, ...env },
    timeoutMs: 90_000,
  });
}

type Owner = (text: string, params?: unknown[]) => Promise<unknown[]>;

/** A tenant with three chained events, written as the owner (the insert trigger numbers and hashes them). */
async function seedTrail(owner: Owner): Promise<string> {
  const [tenant] = (await owner(`INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'CLI AG') RETURNING id::text`)) as Array<{
    id: string;
  }>;
  for (const action of ['test.one', 'test.two', 'test.three']) {
    await owner(`INSERT INTO audit_events (tenant_id, action, outcome, details) VALUES ($1, $2, 'success', '{"via": "cli test"}')`, [
      tenant!.id,
      action,
    ]);
  }
  return tenant!.id;
}

const tamper = (owner: Owner, tenantId: string) =>
  owner(`UPDATE audit_events SET details = '{"via": "someone else"}' WHERE tenant_id = $1 AND seq = 2`, [tenantId]);

function expectBroken(result: CommandResult, tenantId: string) {
  expect(result.status, result.stderr).toBe(2);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^pactum: audit trail broken in tenant ${tenantId} at seq 2: `));
  expect(result.stdout).toContain(`tenant ${tenantId}: first broken row seq 2`);
}

describe(`pactum audit verify (${engineName})`, { timeout: 240_000 }, () => {
  it('prints its help and refuses anything but "audit verify" in one line', async () => {
    for (const args of [
      ['audit', 'verify', '--help'],
      ['audit', '--help'],
    ]) {
      const help = await pactum(args, { NODE_ENV: 'production' });
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('Usage: pactum audit verify');
    }
    expect((await pactum(['--help'])).stdout).toMatch(/^\s+audit\s/m);
    for (const args of [['audit'], ['audit', 'repair'], ['audit', 'verify', 'extra']]) {
      const refused = await pactum(args);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe('pactum: usage: pactum audit verify\n');
    }
  });

  it.runIf(!serverUrl)('exits 0 on an intact embedded database and 2 naming tenant and seq after tampering', async () => {
    const migrated = await pactum(['migrate']);
    expect(migrated.status, migrated.stderr).toBe(0);
    // The embedded database belongs to one process at a time: seed, close, then let the CLI open it.
    const withEmbedded = async <T>(work: (owner: Owner) => Promise<T>) => {
      const database = await openEmbedded(join(dataDir, 'pglite'));
      try {
        return await database.withScriptSession((session) => work((text, params) => session.query(text, params)));
      } finally {
        await database.close();
      }
    };
    const tenantId = await withEmbedded(seedTrail);
    const intact = await pactum(['audit', 'verify']);
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toBe('Audit trail intact: 3 events in 1 tenant verified.\n');
    await withEmbedded((owner) => tamper(owner, tenantId));
    expectBroken(await pactum(['audit', 'verify']), tenantId);
  });

  it.runIf(!serverUrl)('refuses an embedded database that was never migrated', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'pactum-audit-cli-fresh-'));
    try {
      const result = await pactum(['audit', 'verify'], { PACTUM_DATA_DIR: fresh });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^pactum: the database needs migrations .*run `pactum migrate` first\n$/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it.runIf(serverUrl)('exits 0 on an intact PostgreSQL database and 2 naming tenant and seq after tampering', async () => {
    const db = await createTestDatabase();
    try {
      const owner: Owner = (text, params) => db.asOwner(text, params);
      const tenantId = await seedTrail(owner);
      const env = { PACTUM_DATABASE_URL: db.url! };
      const intact = await pactum(['audit', 'verify'], env);
      expect(intact.status, intact.stderr).toBe(0);
      expect(intact.stdout).toBe('Audit trail intact: 3 events in 1 tenant verified.\n');
      await tamper(owner, tenantId);
      expectBroken(await pactum(['audit', 'verify'], env), tenantId);
    } finally {
      await db.drop();
    }
  });
});
