import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createTestDatabase, engineName, type TestDatabase } from '../helpers/test-database.js';

const PROXY = '10.0.0.1';
const CLIENT = '203.0.113.9';
const MIDDLE = '198.51.100.2';

/** PACTUM_TRUST_PROXY as the service reads it: the value goes through loadConfig and buildApp, as at start. */
function configWith(trustProxy: string | undefined) {
  return loadConfig({
    PACTUM_PUBLIC_URL: 'http://localhost:3000',
    PACTUM_DATA_DIR: mkdtempSync(join(tmpdir(), 'pactum-trust-')),
    PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
    PACTUM_LOG_LEVEL: 'fatal',
    ...(trustProxy === undefined ? {} : { PACTUM_TRUST_PROXY: trustProxy }),
  });
}

describe(`PACTUM_TRUST_PROXY: the client address the app sees (${engineName})`, () => {
  let db: TestDatabase;
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
  });

  /** The real app, plus a probe route (outside /api) that reports request.ip as every feature reads it. */
  async function appTrusting(trustProxy: string | undefined) {
    const app = await buildApp({
      config: configWith(trustProxy),
      database: db.database,
      logStream: new Writable({ write: (_c, _e, done) => done() }),
    });
    app.get('/probe/ip', async (request) => ({ ip: request.ip }));
    await app.ready();
    apps.push(app);
    return async (remoteAddress: string, forwardedFor?: string) => {
      const response = await app.inject({
        method: 'GET',
        url: '/probe/ip',
        remoteAddress,
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().ip as string;
    };
  }

  it('unset or "false": X-Forwarded-For is ignored', async () => {
    for (const value of [undefined, '', 'false']) {
      const ipOf = await appTrusting(value);
      expect(await ipOf(PROXY, CLIENT)).toBe(PROXY);
    }
  });

  it('digits are a hop count: "1" believes the nearest proxy only, "2" one more', async () => {
    const oneHop = await appTrusting('1');
    expect(await oneHop(PROXY, `${CLIENT}, ${MIDDLE}`)).toBe(MIDDLE);
    expect(await oneHop(PROXY, CLIENT)).toBe(CLIENT);
    const twoHops = await appTrusting('2');
    expect(await twoHops(PROXY, `${CLIENT}, ${MIDDLE}`)).toBe(CLIENT);
    expect(await twoHops(PROXY, `192.0.2.77, ${CLIENT}, ${MIDDLE}`)).toBe(CLIENT);
  });

  it('"true" starts and believes every hop: the leftmost address is the client', async () => {
    const ipOf = await appTrusting('true');
    expect(await ipOf(PROXY, `${CLIENT}, ${MIDDLE}`)).toBe(CLIENT);
  });

  it('anything else is a list of addresses and CIDR ranges, believed only when the peer is in it', async () => {
    const ipOf = await appTrusting(`${PROXY}, 198.51.100.0/24`);
    expect(await ipOf(PROXY, `${CLIENT}, ${MIDDLE}`)).toBe(CLIENT); // both hops are trusted proxies
    expect(await ipOf(PROXY, CLIENT)).toBe(CLIENT);
    expect(await ipOf('192.0.2.1', CLIENT)).toBe('192.0.2.1'); // a stranger cannot choose its address
    const ipv6 = await appTrusting('fd00::/8');
    expect(await ipv6('fd00::5', CLIENT)).toBe(CLIENT);
    expect(await ipv6('2001:db8::1', CLIENT)).toBe('2001:db8::1');
  });

  it('refuses a value that is none of these, naming the culprit', () => {
    for (const [value, culprit] of [
      ['10.0.0.1, proxy.internal', 'proxy.internal'],
      ['10.0.0.0/33', '10.0.0.0/33'],
      ['10.0.0.1,', ''],
      ['True', 'True'],
      ['-1', '-1'],
    ] as const) {
      expect(() => configWith(value), value).toThrow(ConfigError);
      expect(() => configWith(value), value).toThrow(`"${culprit}"`);
    }
    expect(() => configWith('101')).toThrow(/hop count/);
  });
});
