import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createReadinessProbe } from '../../src/db/readiness-probe.js';
import { describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/fake-twilio.js';
import { percentile, report, send, tally, type Outcome, type Session } from '../drills/support/load.js';
import { DRILL_TWILIO, startPactum, waitHealthy, type PactumProcess } from '../drills/support/pactum-process.js';
import { migrate, signUp } from '../drills/support/setup.js';
import { STANDBY_NAME, startStreamingPair, type Server, type StreamingPair } from './support/streaming-pair.js';

/**
 * Failover drill (`npm run test:replication`): a primary with a streaming standby, Pactum on the
 * primary taking contract writes through its API, then the primary killed outright (SIGKILL to every
 * one of its processes), the standby promoted and Pactum restarted on it — the steps of
 * docs/operations.md ("Replication"). Once with asynchronous replication and once synchronous
 * (`synchronous_commit = remote_apply`).
 */

const WRITE_SECONDS = 30;
/** Modest: the machine's two cores are shared, and the drill measures lag, not throughput. */
const WRITERS = 3;
const LAG_SAMPLE_MS = 100;
const MAX_LAG_SECONDS = 1;
/** The target for kill → first acknowledged write on the promoted standby; asserted. */
const FAILOVER_TARGET_MS = 30_000;
/** How long a writer waits after a failed write: the resolution of "first successful write". */
const RETRY_AFTER_FAILURE_MS = 100;

type Mode = 'asynchronous' | 'synchronous';

describe('drill: streaming standby, primary killed, standby promoted', () => {
  it.each<Mode>(['asynchronous', 'synchronous'])(
    '%s replication',
    async (mode) => {
      const figures = await failoverDrill(mode);
      report(`replication failover (${mode})`, { ...figures, lostAcknowledgedIds: figures.lostAcknowledgedIds.slice(0, 5) });

      expect(figures.writesAcknowledgedBeforeKill, 'the writers wrote through the primary').toBeGreaterThan(100);
      expect(figures.readyzWhileReplicating, '/readyz with a standby streaming').toMatchObject({
        status: 200,
        replication: { standbys: 1 },
      });
      expect(figures.standbyBeforePromotion, 'the readiness probe sees the unpromoted standby as read-only').toMatchObject({
        readOnly: true,
      });
      expect(figures.readyzAfterFailover, '/readyz on the promoted standby, which has no standby of its own').toMatchObject({
        status: 503,
        replication: { standbys: 0 },
      });
      expect(figures.msKillToFirstWrite, 'a write succeeds on the promoted standby in time').toBeLessThan(FAILOVER_TARGET_MS);
      expect(figures.serverErrors, 'no 500 on either node').toEqual({});
      if (mode === 'synchronous') {
        expect(figures.lostAcknowledgedIds, 'every acknowledged write is on the promoted standby').toEqual([]);
        expect(figures.writesFound).toBe(figures.writesAcknowledged);
      } else {
        expect(figures.lagSamples, 'lag was sampled through the run').toBeGreaterThan((WRITE_SECONDS * 1000) / LAG_SAMPLE_MS / 2);
        expect(figures.lagP99Seconds, `replay lag p99 ≤ ${MAX_LAG_SECONDS} s`).toBeLessThanOrEqual(MAX_LAG_SECONDS);
      }
    },
    240_000,
  );
});

async function failoverDrill(mode: Mode) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-replication-data-'));
  const masterKey = randomBytes(32).toString('base64');
  let pair: StreamingPair | undefined;
  let twilio: FakeTwilio | undefined;
  const nodes: PactumProcess[] = [];
  let writers: ReturnType<typeof startWriters> | undefined;
  try {
    pair = await startStreamingPair({ synchronous: mode === 'synchronous' });
    twilio = await startFakeTwilio(DRILL_TWILIO);
    // Step 6: migrate as the owner, let the service's role read pg_stat_replication, run Pactum as it.
    await migrate(pair.primary.url());
    await pair.primary.query('GRANT pg_monitor TO pactum_app');
    const startNode = (server: Server, waitReady = true) =>
      startPactum({
        databaseUrl: server.url('pactum', 'pactum_app'),
        twilioUrl: twilio!.url,
        dataDir,
        masterKey,
        env: {
          PACTUM_MIGRATION_DATABASE_URL: server.url(),
          PACTUM_REQUIRE_STANDBY: 'true',
          PACTUM_MAX_REPLICATION_LAG_SECONDS: String(MAX_LAG_SECONDS),
        },
        waitReady,
      });
    const first = await startNode(pair.primary);
    nodes.push(first);
    const session = await signUp(first, twilio);
    const { vendorId, productId } = await catalogue(session);

    const target = { session };
    const lag = startLagSampler(pair.primary);
    writers = startWriters(target, { vendorId, productId });
    await sleep(WRITE_SECONDS * 1000);
    const readyzWhileReplicating = await readyz(target.session);
    const standbyBeforePromotion = await readinessOf(pair.standby);
    const lagSeconds = await lag.stop();

    // The primary's machine is gone: every one of its processes SIGKILLed at once.
    const killedAt = Date.now();
    await pair.killPrimary();
    const killDoneAt = Date.now();
    // Steps 7 and 8: promote the standby, then start Pactum against it (a new PACTUM_DATABASE_URL) and send
    // traffic there; the old node, whose database is gone, is stopped. Each step's end is timed (phases).
    const { pgCtlMs } = await pair.promoteStandby();
    const promotedAt = Date.now();
    const second = await startNode(pair.standby, false);
    nodes.push(second);
    const secondSpawnedAt = Date.now();
    const secondListeningAt = await waitHealthy(second.base, FAILOVER_TARGET_MS * 2, second);
    const startupCpuMs = cpuMsOf(second.child.pid);
    const secondReadyAt = await databaseReady(second.base, FAILOVER_TARGET_MS * 2);
    target.session = { ...session, base: second.base, origin: second.origin };
    await first.stop();
    const firstWriteAt = await writers.firstSuccessAfter(killedAt, FAILOVER_TARGET_MS * 2);
    await sleep(1_000);
    const outcomes = await writers.stop();
    writers = undefined;
    const readyzAfterFailover = await readyz(target.session);

    const acknowledged = outcomes.filter((o) => o.id !== null);
    const acknowledgedBeforeKill = acknowledged.filter((o) => o.doneAt < killedAt);
    const found = await contractsFound(
      pair.standby,
      acknowledged.map((o) => o.id!),
    );
    const lost = acknowledged.map((o) => o.id!).filter((id) => !found.has(id));
    const serverErrors = tally(outcomes.filter((o) => o.status !== null && o.status >= 500 && o.status !== 503));
    return {
      mode,
      writers: WRITERS,
      writeSeconds: WRITE_SECONDS,
      lagSamples: lagSeconds.length,
      lagP50Seconds: percentile(lagSeconds, 50),
      lagP99Seconds: percentile(lagSeconds, 99),
      lagMaxSeconds: Math.max(0, ...lagSeconds),
      writesAcknowledgedBeforeKill: acknowledgedBeforeKill.length,
      writesAcknowledged: acknowledged.length,
      writesFound: found.size,
      lostAcknowledgedIds: lost,
      answersAroundFailover: tally(outcomes.filter((o) => o.sentAt >= killedAt - 1_000 && o.sentAt <= firstWriteAt)),
      serverErrors,
      msToKill: killDoneAt - killedAt,
      msPgCtlPromote: pgCtlMs,
      msKillToPromoted: promotedAt - killedAt,
      msKillToPactumSpawned: secondSpawnedAt - killedAt,
      msKillToPactumListening: secondListeningAt - killedAt,
      msKillToPactumReady: secondReadyAt - killedAt,
      msKillToFirstWrite: firstWriteAt - killedAt,
      phases: phaseLine([
        ['kill', killDoneAt - killedAt],
        ['promote', promotedAt - killDoneAt],
        ['spawn', secondSpawnedAt - promotedAt],
        ['listening', secondListeningAt - secondSpawnedAt],
        ['ready', secondReadyAt - secondListeningAt],
        ['first write', firstWriteAt - secondReadyAt],
      ]),
      pactumStartupCpuMs: startupCpuMs,
      readyzWhileReplicating,
      standbyBeforePromotion,
      readyzAfterFailover,
      loadAverageAtEnd: Number(loadavg()[0]!.toFixed(1)),
    };
  } finally {
    // Clean up even after a failure: processes first (they hold connections), then the clusters.
    await writers?.stop();
    for (const node of nodes) await node.stop().catch(() => {});
    await twilio?.close().catch(() => {});
    await pair?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A vendor and a product for the contracts' line items. */
async function catalogue(session: Session) {
  const vendor = await send(session, 'POST', '/api/v1/vendors', { body: { name: 'Replication Vendor' } });
  if (!vendor.id) throw new Error(`vendor: ${vendor.status} ${vendor.problemCode}`);
  const product = await send(session, 'POST', '/api/v1/products', {
    body: { vendorId: vendor.id, name: 'Replicated Suite', metric: 'user', blockSize: 1 },
  });
  if (!product.id) throw new Error(`product: ${product.status} ${product.problemCode}`);
  return { vendorId: vendor.id, productId: product.id };
}

let contractCounter = 0;

/**
 * WRITERS loops creating a contract with one line item each, one request at a time over their own
 * keep-alive connection, to whichever node `target` names at the time (the drill repoints it at failover).
 */
function startWriters(target: { session: Session }, ids: { vendorId: string; productId: string }) {
  const outcomes: Outcome[] = [];
  let running = true;
  const agents: Agent[] = [];
  const loop = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (running) {
      contractCounter += 1;
      const outcome = await send(target.session, 'POST', '/api/v1/contracts', {
        agent,
        kind: 'write',
        timeoutMs: 10_000,
        body: {
          vendorId: ids.vendorId,
          title: `Replicated contract ${contractCounter}`,
          startsOn: '2026-01-01',
          endsOn: '2026-12-31',
          currency: 'EUR',
          lineItems: [{ productId: ids.productId, quantity: 10, listUnitPrice: '100.00', discountPercent: '10' }],
        },
      });
      outcomes.push(outcome);
      // While the database is away the node answers 503 at once: do not spin on it.
      await sleep(outcome.id ? 20 : RETRY_AFTER_FAILURE_MS);
    }
  };
  const loops = Array.from({ length: WRITERS }, loop);
  return {
    async firstSuccessAfter(moment: number, timeoutMs: number): Promise<number> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const success = outcomes.find((o) => o.id !== null && o.sentAt >= moment);
        if (success) return success.doneAt;
        if (Date.now() > until) throw new Error(`no write succeeded within ${timeoutMs} ms: ${JSON.stringify(tally(outcomes.slice(-20)))}`);
        await sleep(20);
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
      return outcomes;
    },
  };
}

/** The standby's replay lag as the primary reports it, every LAG_SAMPLE_MS; NULL (idle and caught up) is 0. */
function startLagSampler(primary: Server) {
  const samples: number[] = [];
  let running = true;
  const done = (async () => {
    const client = new pg.Client({ connectionString: primary.url('postgres') });
    client.on('error', () => {});
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ lag: number | null }>(
          `SELECT extract(epoch FROM coalesce(replay_lag, interval '0'))::float8 AS lag
             FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
          [STANDBY_NAME],
        );
        // A standby not streaming is a lag without end: count it as such rather than skip it.
        samples.push(rows[0]?.lag ?? Number.POSITIVE_INFINITY);
        await sleep(LAG_SAMPLE_MS);
      }
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

/**
 * Polls /readyz until the node reports its database reachable. On the promoted standby that is a 503 all
 * the same (no standby of its own, PACTUM_REQUIRE_STANDBY=true): the body says which.
 */
async function databaseReady(base: string, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (((await response.json()) as { database?: string }).database === 'ok') return Date.now();
    } catch {
      // not answering yet
    }
    if (Date.now() > until) throw new Error(`${base}/readyz did not report the database reachable within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** What /readyz's probe reads on `server` (its own pool, as a node on that server would ask it). */
async function readinessOf(server: Server) {
  const probe = createReadinessProbe(server.url('pactum', 'pactum_app'));
  try {
    return await probe.status();
  } finally {
    await probe.close();
  }
}

/** CPU time (user + system) a process has used so far, from /proc: how much work its start-up was. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
  } catch {
    return null;
  }
}

/** "kill 15 → promote 130 → …" in ms, each phase from the end of the one before. */
function phaseLine(phases: Array<[string, number]>): string {
  return phases.map(([name, ms]) => `${name} ${ms}`).join(' → ') + ' (ms)';
}

async function readyz(session: Session) {
  const response = await fetch(`${session.base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { replication: unknown };
  return { status: response.status, replication: body.replication };
}

/** Which of `ids` are contracts on `server` (as the superuser: no row-level security in the way). */
async function contractsFound(server: Server, ids: string[]): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: server.url() });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>('SELECT id FROM contracts WHERE id = ANY($1::uuid[])', [ids]);
    return new Set(rows.map((row) => row.id));
  } finally {
    await client.end();
  }
}
