import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startFakeTwilio, type FakeTwilio } from '../../fakes/fake-twilio.js';
import { startCluster, type Cluster } from './cluster.js';
import { send, type Session } from './load.js';
import { DRILL_TWILIO, ROOT, startPactum, type PactumProcess } from './pactum-process.js';

const run = promisify(execFile);

export interface Drill {
  cluster: Cluster;
  twilio: FakeTwilio;
  pactum: PactumProcess;
  session: Session;
  /** What a restarted node needs to be the same node: its data directory and master key. */
  dataDir: string;
  masterKey: string;
  /** Ids among `ids` that are vendors in the database (as the superuser: no row-level security). */
  vendorsFound(ids: string[]): Promise<number>;
  close(): Promise<void>;
}

/** `pactum migrate` as its operator runs it, with the built CLI. */
export async function migrate(databaseUrl: string) {
  await run(process.execPath, ['dist/main.js', 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, PACTUM_DATABASE_URL: databaseUrl },
    timeout: 120_000,
  });
}

/** Signs a company up through the API and verifies the code the fake Twilio received. */
export async function signUp(pactum: PactumProcess, twilio: FakeTwilio): Promise<Session> {
  const phone = `+4179${String(Math.floor(1_000_000 + Math.random() * 8_999_999))}`;
  const anonymous: Session = { base: pactum.base, origin: pactum.origin, cookie: '' };
  const body = JSON.stringify({
    companyName: 'Drill Holdings',
    name: 'Dana Drill',
    email: `dana.${Date.now()}@example.com`,
    phone,
    password: 'correct horse battery staple vault 42',
  });
  let signup: Response;
  // A node may shed its very first second (start-up work shows as event-loop delay); 503 says come back.
  for (let attempt = 1; ; attempt += 1) {
    signup = await fetch(`${pactum.base}/api/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: pactum.origin },
      body,
    });
    if (signup.status !== 503 || attempt === 20) break;
    await sleep(250);
  }
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}\n${pactum.output().slice(-2000)}`);
  const { challenge } = (await signup.json()) as { challenge: { id: string } };
  const verify = await fetch(`${pactum.base}/api/v1/auth/challenges/${challenge.id}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: pactum.origin },
    body: JSON.stringify({ code: twilio.lastCodeFor(phone) }),
  });
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${await verify.text()}`);
  const cookie = /pactum_session=([^;]+)/.exec(verify.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  const session = { ...anonymous, cookie };
  const me = await send(session, 'GET', '/api/v1/me');
  if (me.status !== 200) throw new Error(`GET /me answered ${me.status}`);
  return session;
}

/** Own cluster, migrated; fake Twilio; the built `pactum serve` on it; a signed-in company. */
export async function startDrill(env: Record<string, string> = {}): Promise<Drill> {
  const cluster = await startCluster();
  const twilio = await startFakeTwilio(DRILL_TWILIO);
  const dataDir = mkdtempSync(join(tmpdir(), 'pactum-drill-data-'));
  const masterKey = randomBytes(32).toString('base64');
  let pactum: PactumProcess | undefined;
  try {
    await migrate(cluster.url());
    pactum = await startPactum({ databaseUrl: cluster.url(), twilioUrl: twilio.url, env, dataDir, masterKey });
    const session = await signUp(pactum, twilio);
    const drill: Drill = {
      cluster,
      twilio,
      pactum,
      session,
      dataDir,
      masterKey,
      async vendorsFound(ids) {
        if (ids.length === 0) return 0;
        const client = cluster.url();
        const pg = (await import('pg')).default;
        const connection = new pg.Client({ connectionString: client });
        await connection.connect();
        try {
          const { rows } = await connection.query<{ found: number }>(
            'SELECT count(*)::int AS found FROM vendors WHERE id = ANY($1::uuid[])',
            [ids],
          );
          return rows[0]!.found;
        } finally {
          await connection.end();
        }
      },
      async close() {
        await drill.pactum.stop();
        await twilio.close();
        await cluster.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return drill;
  } catch (error) {
    await pactum?.stop();
    await twilio.close();
    await cluster.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
