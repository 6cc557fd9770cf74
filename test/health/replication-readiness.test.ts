import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ReplicationReadiness } from '../../src/config.js';
import { openPostgres, type Database, type Replication } from '../../src/db/engine.js';
import { replicationUnreadiness } from '../../src/health/replication-readiness.js';
import { buildApp } from '../../src/http/app.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';

const reportOnly: ReplicationReadiness = { requireStandby: false, maxLagSeconds: 1 };
const requireStandby: ReplicationReadiness = { requireStandby: true, maxLagSeconds: 1 };

describe(`/readyz and replication (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  /** /readyz of an app on `database` whose replication rule is `policy`. */
  async function readyz(database: Database, policy: ReplicationReadiness) {
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    const app = await buildApp({ config: { ...t.config, replicationReadiness: policy }, database, logStream: quiet });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: response.json() };
    } finally {
      await app.close();
    }
  }

  /** The test database, but reading `replication` as if standbys reported it. */
  const reading = (replication: Replication | null, readOnly = false): Database => ({
    ...t.db.database,
    readiness: async () => ({ replication, readOnly }),
  });

  it('reports standbys and lag without judging them unless a standby is required', async () => {
    const answer = await readyz(reading({ standbys: 1, maxLagSeconds: 42 }), reportOnly);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ database: 'ok', replication: { standbys: 1, maxLagSeconds: 42 }, backup: null });
    expect((await readyz(reading({ standbys: 0, maxLagSeconds: null }), reportOnly)).status).toBe(200);
    expect((await readyz(reading(null), reportOnly)).status).toBe(200);
  });

  it('with a standby required: 200 within the lag maximum, 503 beyond it', async () => {
    for (const lag of [0, 0.25, 1]) {
      const answer = await readyz(reading({ standbys: 2, maxLagSeconds: lag }), requireStandby);
      expect(answer.status, `lag ${lag} s`).toBe(200);
    }
    // A caught-up, idle standby reports no lag at all.
    expect((await readyz(reading({ standbys: 1, maxLagSeconds: null }), requireStandby)).status).toBe(200);
    const lagging = await readyz(reading({ standbys: 1, maxLagSeconds: 1.5 }), requireStandby);
    expect(lagging).toEqual({
      status: 503,
      retryAfter: '5',
      body: { database: 'ok', replication: { standbys: 1, maxLagSeconds: 1.5 }, backup: null },
    });
    const stricter = await readyz(reading({ standbys: 1, maxLagSeconds: 0.3 }), { requireStandby: true, maxLagSeconds: 0.2 });
    expect(stricter.status).toBe(503);
  });

  it('with a standby required: 503 when none streams, or when the state cannot be read', async () => {
    const none = await readyz(reading({ standbys: 0, maxLagSeconds: null }), requireStandby);
    expect(none).toMatchObject({ status: 503, retryAfter: '5', body: { database: 'ok', replication: { standbys: 0 } } });
    const unreadable = await readyz(reading(null), requireStandby);
    expect(unreadable).toMatchObject({ status: 503, body: { database: 'ok', replication: null } });
  });

  it('is not ready on a standby still in recovery, whatever the replication rule: every write would fail', async () => {
    for (const policy of [reportOnly, requireStandby]) {
      const answer = await readyz(reading({ standbys: 0, maxLagSeconds: null }, true), policy);
      expect(answer).toEqual({
        status: 503,
        retryAfter: '5',
        body: { database: 'read-only', replication: { standbys: 0, maxLagSeconds: null }, backup: null },
      });
    }
    expect(await t.db.database.readiness()).toMatchObject({ readOnly: false });
  });

  it("with a standby required, the real database's answer is 503 here: no standby, or no right to see one", async () => {
    // The service's own login (PGlite; pactum_app without pg_monitor on the server) sees no replication state.
    const answer = await readyz(t.db.database, requireStandby);
    expect(answer).toEqual({ status: 503, retryAfter: '5', body: { database: 'ok', replication: null, backup: null } });
  });

  it.runIf(engineName === 'postgres')('reads pg_stat_replication with pg_monitor: no standby on this server is 503', async () => {
    const role = `pactum_test_monitor_${randomBytes(4).toString('hex')}`;
    await t.db.asOwner(`CREATE ROLE ${role} LOGIN IN ROLE pg_monitor`);
    const url = new URL(t.db.url!);
    url.username = role;
    const monitored = await openPostgres(url.href, 1);
    try {
      expect(await monitored.readiness()).toEqual({ replication: { standbys: 0, maxLagSeconds: null }, readOnly: false });
      const answer = await readyz(monitored, requireStandby);
      expect(answer).toEqual({
        status: 503,
        retryAfter: '5',
        body: { database: 'ok', replication: { standbys: 0, maxLagSeconds: null }, backup: null },
      });
      expect((await readyz(monitored, reportOnly)).status).toBe(200);
    } finally {
      await monitored.close();
      await t.db.asOwner(`DROP ROLE ${role}`);
    }
  });
});

describe('the replication rule', () => {
  it('names why a node is not ready', () => {
    expect(replicationUnreadiness({ standbys: 1, maxLagSeconds: 2 }, requireStandby)).toMatch(/lag 2 s exceeds/);
    expect(replicationUnreadiness({ standbys: 0, maxLagSeconds: null }, requireStandby)).toMatch(/no standby/);
    expect(replicationUnreadiness(null, requireStandby)).toMatch(/GRANT pg_monitor TO pactum_app/);
    expect(replicationUnreadiness({ standbys: 1, maxLagSeconds: 1 }, requireStandby)).toBeNull();
    expect(replicationUnreadiness(null, reportOnly)).toBeNull();
  });
});

describe('replication settings', () => {
  const base = { PACTUM_DATA_DIR: '/tmp/pactum-config-test', PACTUM_MASTER_KEY: randomBytes(32).toString('base64') };
  const server = { ...base, PACTUM_DATABASE_URL: 'postgres://pactum_app@db.example/pactum' };

  it('reports only, with a 1 s maximum, by default', () => {
    expect(loadConfig(server).replicationReadiness).toEqual({ requireStandby: false, maxLagSeconds: 1 });
  });

  it('takes PACTUM_REQUIRE_STANDBY=true and a maximum in (fractional) seconds', () => {
    const config = loadConfig({ ...server, PACTUM_REQUIRE_STANDBY: 'true', PACTUM_MAX_REPLICATION_LAG_SECONDS: '0.5' });
    expect(config.replicationReadiness).toEqual({ requireStandby: true, maxLagSeconds: 0.5 });
    expect(loadConfig({ ...server, PACTUM_REQUIRE_STANDBY: 'false' }).replicationReadiness.requireStandby).toBe(false);
  });

  it('refuses malformed values, and requiring a standby of the embedded engine', () => {
    for (const value of ['yes', '1', 'TRUE']) {
      expect(() => loadConfig({ ...server, PACTUM_REQUIRE_STANDBY: value }), value).toThrow(ConfigError);
    }
    for (const value of ['0', '-1', 'one', '1s', '1e3', '86401']) {
      expect(() => loadConfig({ ...server, PACTUM_MAX_REPLICATION_LAG_SECONDS: value }), value).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...base, PACTUM_REQUIRE_STANDBY: 'true' })).toThrow(/embedded engine has no standbys/);
  });
});
