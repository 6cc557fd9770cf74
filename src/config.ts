import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Typed configuration read once from the environment (names fixed by API.md). */
export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl: URL;
  trustProxy: string | false;
  databaseUrl: string | null;
  dataDir: string;
  masterKey: Buffer;
  sms: SmsConfig;
  otpCountries: string;
  otpCaps: OtpCaps;
  loginIpLimit: { windowSeconds: number; maxHits: number };
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  pwned: { enabled: boolean; apiUrl: string };
  logLevel: string;
}

export type SmsConfig =
  | { provider: 'console' }
  | { provider: 'twilio'; accountSid: string; authToken: string; fromNumber: string; apiUrl: string };

/** SMS-pumping defence: how many codes may go out per hour, per tenant and overall. */
export interface OtpCaps {
  perNumberPerHour: number;
  resendsPerNumberPerHour: number;
  perTenantPerHour: number;
  globalPerHour: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const publicUrl = parseUrl('PACTUM_PUBLIC_URL', env.PACTUM_PUBLIC_URL || `http://localhost:${port}`);
  const dataDir = resolve(env.PACTUM_DATA_DIR || './data');
  const sms = smsConfig(env);
  const config: Config = {
    production,
    port,
    host,
    publicUrl,
    trustProxy: env.PACTUM_TRUST_PROXY || false,
    databaseUrl: env.PACTUM_DATABASE_URL || null,
    dataDir,
    masterKey: masterKey(env, production, dataDir),
    sms,
    otpCountries: env.PACTUM_OTP_COUNTRIES || '*',
    otpCaps: {
      perNumberPerHour: integer(env, 'PACTUM_OTP_NUMBER_HOURLY_CAP', 10, 1, 1000),
      resendsPerNumberPerHour: 5,
      perTenantPerHour: integer(env, 'PACTUM_OTP_TENANT_HOURLY_CAP', 100, 1, 1_000_000),
      globalPerHour: integer(env, 'PACTUM_OTP_GLOBAL_HOURLY_CAP', 2000, 1, 10_000_000),
    },
    loginIpLimit: {
      windowSeconds: 15 * 60,
      maxHits: integer(env, 'PACTUM_LOGIN_IP_LIMIT', 50, 1, 1_000_000),
    },
    rateLimitPerMinute: integer(env, 'PACTUM_RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    authRateLimitPerMinute: integer(env, 'PACTUM_AUTH_RATE_LIMIT_PER_MINUTE', 60, 1, 10_000_000),
    pwned: {
      enabled: onOff(env, 'PACTUM_PWNED_CHECK', false),
      apiUrl: parseUrl('PACTUM_PWNED_API_URL', env.PACTUM_PWNED_API_URL || 'https://api.pwnedpasswords.com').href.replace(/\/$/, ''),
    },
    logLevel: env.PACTUM_LOG_LEVEL || 'info',
  };
  if (production) refuseUnsafeProductionSettings(config);
  return config;
}

/** Production must never run with development conveniences that weaken a promise. */
function refuseUnsafeProductionSettings(config: Config): void {
  if (config.sms.provider === 'console') {
    throw new ConfigError('NODE_ENV=production refuses PACTUM_SMS_PROVIDER=console: codes would be printed, not sent. Set PACTUM_SMS_PROVIDER=twilio.');
  }
  if (config.publicUrl.protocol !== 'https:') {
    throw new ConfigError('NODE_ENV=production requires an https PACTUM_PUBLIC_URL (session cookies are Secure and HSTS is sent).');
  }
}

function smsConfig(env: Env): SmsConfig {
  const provider = env.PACTUM_SMS_PROVIDER || 'console';
  if (provider === 'console') return { provider };
  if (provider !== 'twilio') throw new ConfigError(`PACTUM_SMS_PROVIDER must be "console" or "twilio", not "${provider}".`);
  return {
    provider,
    accountSid: required(env, 'TWILIO_ACCOUNT_SID'),
    authToken: required(env, 'TWILIO_AUTH_TOKEN'),
    fromNumber: required(env, 'TWILIO_FROM_NUMBER'),
    apiUrl: parseUrl('PACTUM_TWILIO_API_URL', env.PACTUM_TWILIO_API_URL || 'https://api.twilio.com').href.replace(/\/$/, ''),
  };
}

/**
 * The master key wraps per-tenant keys and keys the OTP hashes. Outside production a key is generated
 * once into the data dir so `npm start` needs no setup; production must bring its own.
 */
function masterKey(env: Env, production: boolean, dataDir: string): Buffer {
  if (env.PACTUM_MASTER_KEY) return decodeKey('PACTUM_MASTER_KEY', env.PACTUM_MASTER_KEY);
  if (production) throw new ConfigError('NODE_ENV=production requires PACTUM_MASTER_KEY (32 random bytes, base64).');
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return decodeKey(file, readFileSync(file, 'utf8').trim());
}

export function decodeKey(name: string, value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new ConfigError(`${name} must be 32 random bytes, base64-encoded (got ${key.length} bytes).`);
  return key;
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required with PACTUM_SMS_PROVIDER=twilio.`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}".`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off", not "${raw}".`);
}

function parseUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, not "${raw}".`);
  }
}
