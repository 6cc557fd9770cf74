import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = randomBytes(32).toString('base64');

const tempDirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-config-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Everything production needs; each refusal test takes one piece away. */
function productionEnv() {
  return {
    NODE_ENV: 'production',
    PACTUM_DATA_DIR: tempDir(),
    PACTUM_PUBLIC_URL: 'https://pactum.example.com',
    PACTUM_MASTER_KEY: KEY,
    PACTUM_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'ACtest0000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'twilio-secret-token-7f3a9c',
    TWILIO_FROM_NUMBER: '+15005550006',
    PACTUM_SMTP_URL: 'smtp://mailer:smtp-secret-pass@mail.example.com:587',
  };
}

function refusal(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('production start-up', () => {
  it('accepts a complete production environment', () => {
    const config = loadConfig(productionEnv());
    expect(config.production).toBe(true);
    expect(config.publicUrl.origin).toBe('https://pactum.example.com');
    expect(config.masterKey.equals(Buffer.from(KEY, 'base64'))).toBe(true);
    expect(config.sms).toMatchObject({
      provider: 'twilio',
      accountSid: 'ACtest0000000000000000000000000000',
      fromNumber: '+15005550006',
      apiUrl: 'https://api.twilio.com',
    });
  });

  it('refuses the console SMS provider, explicit or by default', () => {
    for (const provider of ['console', undefined]) {
      const error = refusal({ ...productionEnv(), PACTUM_SMS_PROVIDER: provider });
      expect(error.message).toContain('PACTUM_SMS_PROVIDER');
      expect(error.message).toContain('console');
    }
  });

  it.each([undefined, ''])('refuses a missing PACTUM_MASTER_KEY (%j) and generates none', (key) => {
    const env = { ...productionEnv(), PACTUM_MASTER_KEY: key };
    const error = refusal(env);
    expect(error.message).toContain('PACTUM_MASTER_KEY');
    expect(error.message).toContain('production');
    expect(existsSync(join(env.PACTUM_DATA_DIR, 'master.key'))).toBe(false);
  });

  it.each(['http://pactum.example.com', undefined])('refuses the public URL %s, which is not https', (url) => {
    const error = refusal({ ...productionEnv(), PACTUM_PUBLIC_URL: url });
    expect(error.message).toContain('https');
    expect(error.message).toContain('PACTUM_PUBLIC_URL');
  });

  it('refuses to print invitation and reset links to the log: SMTP is required', () => {
    const error = refusal({ ...productionEnv(), PACTUM_SMTP_URL: undefined });
    expect(error.message).toContain('PACTUM_SMTP_URL');
  });

  it('refuses twilio without its credentials, naming the missing one', () => {
    const error = refusal({ ...productionEnv(), TWILIO_AUTH_TOKEN: undefined });
    expect(error.message).toContain('TWILIO_AUTH_TOKEN');
  });

  it('keeps secrets out of its refusals', () => {
    const error = refusal({ ...productionEnv(), PACTUM_PUBLIC_URL: 'http://pactum.example.com' });
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain('twilio-secret-token-7f3a9c');
    expect(error.message).not.toContain('smtp-secret-pass');
  });
});

describe('defaults', () => {
  it('follows API.md: port 3000 on 127.0.0.1, public URL on localhost, codes to every country, console SMS', () => {
    const config = loadConfig({ PACTUM_DATA_DIR: tempDir() });
    expect(config.production).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl.href).toBe('http://localhost:3000/');
    expect(config.otpCountries).toBe('*');
    expect(config.sms).toEqual({ provider: 'console' });
    expect(config.databaseUrl).toBeNull();
    expect(config.pwned.enabled).toBe(false);
    expect(config.maxEventLoopDelayMs).toBe(1000);
    // Concurrency null: the app picks it by engine (4 of the PostgreSQL pool's 10, 1 on PGlite).
    expect(config.tenantFairness).toEqual({ concurrency: null, queueLimit: 100, queueTimeoutMs: 10_000 });
  });

  it('reads the tenant fairness settings', () => {
    const config = loadConfig({
      PACTUM_DATA_DIR: tempDir(),
      PACTUM_TENANT_CONCURRENCY: '2',
      PACTUM_TENANT_QUEUE_LIMIT: '0',
      PACTUM_TENANT_QUEUE_TIMEOUT_MS: '500',
    });
    expect(config.tenantFairness).toEqual({ concurrency: 2, queueLimit: 0, queueTimeoutMs: 500 });
  });

  it('derives the default public URL from PORT', () => {
    const config = loadConfig({ PACTUM_DATA_DIR: tempDir(), PORT: '8080' });
    expect(config.port).toBe(8080);
    expect(config.publicUrl.origin).toBe('http://localhost:8080');
  });

  it('bounds document downloads and sweeps by default (4 per user, 64 per node, 600 s; grace 3600 s) and takes other values', () => {
    expect(loadConfig({ PACTUM_DATA_DIR: tempDir(), PACTUM_MASTER_KEY: KEY })).toMatchObject({
      documentDownloads: { perUser: 4, perNode: 64, timeoutSeconds: 600 },
      documentSweepGraceSeconds: 3600,
    });
    const tuned = loadConfig({
      PACTUM_DATA_DIR: tempDir(),
      PACTUM_MASTER_KEY: KEY,
      PACTUM_DOCUMENT_DOWNLOADS_PER_USER: '2',
      PACTUM_DOCUMENT_DOWNLOADS_PER_NODE: '10',
      PACTUM_DOCUMENT_DOWNLOAD_TIMEOUT_SECONDS: '60',
      PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS: '7200',
    });
    expect(tuned).toMatchObject({ documentDownloads: { perUser: 2, perNode: 10, timeoutSeconds: 60 }, documentSweepGraceSeconds: 7200 });
    for (const name of [
      'PACTUM_DOCUMENT_DOWNLOADS_PER_USER',
      'PACTUM_DOCUMENT_DOWNLOADS_PER_NODE',
      'PACTUM_DOCUMENT_DOWNLOAD_TIMEOUT_SECONDS',
      'PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS',
    ]) {
      expect(() => loadConfig({ PACTUM_DATA_DIR: tempDir(), PACTUM_MASTER_KEY: KEY, [name]: '0' }), name).toThrow(ConfigError);
    }
  });

  it('uses ./data as the default data dir', () => {
    const config = loadConfig({ PACTUM_MASTER_KEY: KEY });
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['PACTUM_PUBLIC_URL', 'pactum.example.com'],
    ['PACTUM_SMS_PROVIDER', 'carrier-pigeon'],
    ['PACTUM_PWNED_CHECK', 'yes'],
    ['PACTUM_MAX_EVENT_LOOP_DELAY_MS', '-1'],
    ['PACTUM_TENANT_CONCURRENCY', '0'],
    ['PACTUM_TENANT_QUEUE_LIMIT', 'many'],
    ['PACTUM_TENANT_QUEUE_TIMEOUT_MS', '0'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    const error = refusal({ PACTUM_DATA_DIR: tempDir(), PACTUM_MASTER_KEY: KEY, [name]: value });
    expect(error.message).toContain(name);
  });
});

describe('the master key', () => {
  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['hex instead of base64', randomBytes(32).toString('hex')],
    ['not base64 at all', 'correct horse battery staple'],
  ])('refuses a key of the wrong length (%s)', (_name, key) => {
    const error = refusal({ PACTUM_DATA_DIR: tempDir(), PACTUM_MASTER_KEY: key });
    expect(error.message).toContain('PACTUM_MASTER_KEY');
    expect(error.message).toContain('32');
    const production = refusal({ ...productionEnv(), PACTUM_MASTER_KEY: key });
    expect(production.message).toContain('PACTUM_MASTER_KEY');
  });

  it('outside production, generates a key file with mode 0600 in the data dir and reuses it', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadConfig({ PACTUM_DATA_DIR: dataDir });
    const file = join(dataDir, 'master.key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.masterKey).toHaveLength(32);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.masterKey)).toBe(true);

    const second = loadConfig({ PACTUM_DATA_DIR: dataDir });
    expect(second.masterKey.equals(first.masterKey)).toBe(true);

    const elsewhere = loadConfig({ PACTUM_DATA_DIR: tempDir() });
    expect(elsewhere.masterKey.equals(first.masterKey)).toBe(false);
  });

  it('prefers PACTUM_MASTER_KEY over a generated file and writes nothing then', () => {
    const dataDir = tempDir();
    const config = loadConfig({ PACTUM_DATA_DIR: dataDir, PACTUM_MASTER_KEY: KEY });
    expect(config.masterKey.equals(Buffer.from(KEY, 'base64'))).toBe(true);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
  });

  it('refuses a damaged key file instead of silently replacing it', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'master.key'), 'c2hvcnQ=\n', { mode: 0o600 });
    const error = refusal({ PACTUM_DATA_DIR: dataDir });
    expect(error.message).toContain('master.key');
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toBe('c2hvcnQ=\n');
  });
});
