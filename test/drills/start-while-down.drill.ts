import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/fake-twilio.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { report, writeVendor } from './support/load.js';
import { DRILL_TWILIO, startPactum, waitHealthy, type PactumProcess } from './support/pactum-process.js';
import { migrate, signUp } from './support/setup.js';

describe('drill: serve starts while the database is down', () => {
  let cluster: Cluster;
  let twilio: FakeTwilio;
  let pactum: PactumProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-drill-data-'));
  beforeAll(async () => {
    cluster = await startCluster();
    twilio = await startFakeTwilio(DRILL_TWILIO);
    await migrate(cluster.url());
  });
  afterAll(async () => {
    await pactum?.stop();
    await twilio?.close();
    await cluster?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('waits, logging each attempt without the password, and comes up by itself once the database starts', async () => {
    await cluster.stop('fast');
    // Trust authentication never asks for it; the password is there to prove it is never printed.
    const url = new URL(cluster.url());
    url.password = 'drill-secret-password';
    pactum = await startPactum({
      databaseUrl: url.href,
      twilioUrl: twilio.url,
      dataDir,
      waitReady: false,
      env: { PACTUM_DATABASE_WAIT_SECONDS: '120', PACTUM_LOG_LEVEL: 'info' },
    });
    // Three attempts (about 2 s of backoff once the process is up; starting it may take longer here).
    await pactum.waitForOutput(/"attempt":3[,}]/, 60_000);
    await sleep(1_000);
    const aliveWhileDown = pactum.alive();
    const attemptsWhileDown = pactum
      .output()
      .split('\n')
      .filter((line) => line.includes('database not reachable yet')).length;

    const startedAt = Date.now();
    await cluster.start();
    const acceptingAt = await cluster.waitAccepting();
    const healthyAt = await waitHealthy(pactum.base, 30_000, pactum);
    const session = await signUp(pactum, twilio);
    const write = await writeVendor(session);
    report('serve started while the database is down', {
      aliveWhileDown,
      attemptsLoggedWhileDown: attemptsWhileDown,
      msFromStartCommandToAccepting: acceptingAt - startedAt,
      msFromAcceptingToServing: healthyAt - acceptingAt,
      firstWrite: write.status,
    });

    expect(aliveWhileDown, 'serve keeps waiting').toBe(true);
    expect(attemptsWhileDown, 'each attempt is logged').toBeGreaterThanOrEqual(3);
    expect(pactum.output()).not.toContain('drill-secret-password');
    // Backoff is capped at 5 s (±20 %); start-up after that takes a moment on a busy machine.
    expect(healthyAt - acceptingAt).toBeLessThan(10_000);
    expect(write.status).toBe(201);
  });
});
