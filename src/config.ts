import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Typed configuration read once from the environment (names fixed by API.md). */
export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl: URL;
  /** Fastify's trustProxy: a hop count, all or nothing, or the proxies' addresses and CIDR ranges. */
  trustProxy: TrustProxy;
  databaseUrl: string | null;
  /** The owner's connection, for `pactum migrate` and `pactum audit verify`; null: databaseUrl. */
  migrationDatabaseUrl: string | null;
  dataDir: string;
  masterKey: Buffer;
  sms: SmsConfig;
  otpCountries: string;
  otpCaps: OtpCaps;
  loginIpLimit: { windowSeconds: number; maxHits: number };
  /** Signups per client IP (IPv6 per /64) per hour, counted in the database. */
  signupIpLimit: { windowSeconds: number; maxHits: number };
  /** Password-reset requests per hour, per client IP and per e-mail address (counted in the database). */
  passwordResetLimit: { windowSeconds: number; perIp: number; perEmail: number };
  /** Invitations per recipient per 10 minutes and per company per hour (counted in the database). */
  invitationLimits: { perRecipient: number; recipientWindowSeconds: number; perTenantHourly: number };
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  /** Mean event-loop delay (ms) above which requests are shed with 503 `overloaded`; 0 turns shedding off. */
  maxEventLoopDelayMs: number;
  /** Per node: one tenant's concurrent transactions (null: by engine), its queue, and the wait allowed in it. */
  tenantFairness: { concurrency: number | null; queueLimit: number; queueTimeoutMs: number };
  /** Heap used / resident set (bytes) above which requests are shed with 503 `overloaded`; 0: not checked. */
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  /** Requests queued for a database connection at which new requests are shed with 503 `overloaded`; 0: off. */
  maxPoolWaiting: number;
  /** How long `serve` waits for an unreachable database at start before giving up. */
  databaseWaitSeconds: number;
  /** How long a stopping node may take to finish in-flight requests and jobs before it closes anyway. */
  shutdownSeconds: number;
  /** When /readyz turns 503 over replication: no standby streaming, or replay lag above the maximum. */
  replicationReadiness: ReplicationReadiness;
  pwned: { enabled: boolean; apiUrl: string };
  mail: MailConfig;
  /** Days before a notice deadline at which its reminder goes out, largest first. */
  reminderLeadDays: number[];
  documentStorage: DocumentStorageConfig;
  /** Concurrent downloads per user and per node (429 beyond), and the time a download may take. */
  documentDownloads: { perUser: number; perNode: number; timeoutSeconds: number };
  /** Age after which a blob without a row, or a temporary upload file, is removed by the sweep. */
  documentSweepGraceSeconds: number;
  /** Stripe billing; null (billing off: everything allowed, no billing routes) when STRIPE_SECRET_KEY is unset. */
  billing: BillingConfig | null;
  logLevel: string;
}

/** Stripe hosted Checkout and Customer Portal, and the secret that signs its webhooks. */
export interface BillingConfig {
  secretKey: string;
  webhookSecret: string;
  priceId: string;
  /** Stripe's API base URL (a local fake in tests). */
  apiUrl: URL;
}

/** Without an SMTP URL, mail is printed to the log (development); the sender address is ours either way. */
export interface MailConfig {
  smtpUrl: string | null;
  from: string;
}

export type SmsConfig =
  { provider: 'console' } | { provider: 'twilio'; accountSid: string; authToken: string; fromNumber: string; apiUrl: string };

/** Where encrypted document blobs go: the data dir by default, an S3-compatible bucket when one is named. */
export type DocumentStorageConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** null: AWS itself (the region's default endpoint). */
      endpoint: string | null;
      region: string;
      /** null: the SDK's default credential chain (environment, instance role …). */
      credentials: { accessKeyId: string; secretAccessKey: string } | null;
      /** '' or a prefix ending in '/'. */
      prefix: string;
    };

/** SMS-pumping defence: how many codes may go out per hour, per tenant and overall. */
export interface OtpCaps {
  perNumberPerHour: number;
  resendsPerNumberPerHour: number;
  perTenantPerHour: number;
  globalPerHour: number;
  /** Signups, invitation acceptances and new numbers: a budget of their own, so they never starve logins. */
  unverifiedPerNumberPerHour: number;
  unverifiedGlobalPerHour: number;
  signupsPerActiveNumberPerDay: number;
}

export interface ReplicationReadiness {
  /** false: standbys and lag are reported only; true: none streaming, unknown, or lagging is not ready. */
  requireStandby: boolean;
  maxLagSeconds: number;
}

export type TrustProxy = boolean | number | string[];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const MIB = 1024 * 1024;

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
    trustProxy: trustProxy(env.PACTUM_TRUST_PROXY),
    databaseUrl: env.PACTUM_DATABASE_URL || null,
    migrationDatabaseUrl: env.PACTUM_MIGRATION_DATABASE_URL || null,
    dataDir,
    masterKey: masterKey(env, production, dataDir),
    sms,
    otpCountries: env.PACTUM_OTP_COUNTRIES || '*',
    otpCaps: {
      perNumberPerHour: integer(env, 'PACTUM_OTP_NUMBER_HOURLY_CAP', 10, 1, 1000),
      resendsPerNumberPerHour: 5,
      perTenantPerHour: integer(env, 'PACTUM_OTP_TENANT_HOURLY_CAP', 100, 1, 1_000_000),
      globalPerHour: integer(env, 'PACTUM_OTP_GLOBAL_HOURLY_CAP', 2000, 1, 10_000_000),
      unverifiedPerNumberPerHour: integer(env, 'PACTUM_OTP_UNVERIFIED_NUMBER_HOURLY_CAP', 5, 1, 1000),
      unverifiedGlobalPerHour: integer(env, 'PACTUM_OTP_UNVERIFIED_GLOBAL_HOURLY_CAP', 500, 1, 10_000_000),
      signupsPerActiveNumberPerDay: 2,
    },
    signupIpLimit: {
      windowSeconds: 60 * 60,
      maxHits: integer(env, 'PACTUM_SIGNUP_IP_HOURLY_LIMIT', 10, 1, 1_000_000),
    },
    loginIpLimit: {
      windowSeconds: 15 * 60,
      maxHits: integer(env, 'PACTUM_LOGIN_IP_LIMIT', 50, 1, 1_000_000),
    },
    passwordResetLimit: {
      windowSeconds: 60 * 60,
      perIp: integer(env, 'PACTUM_PASSWORD_RESET_IP_LIMIT', 20, 1, 1_000_000),
      perEmail: integer(env, 'PACTUM_PASSWORD_RESET_EMAIL_LIMIT', 3, 1, 1000),
    },
    invitationLimits: {
      perRecipient: integer(env, 'PACTUM_INVITATION_RECIPIENT_LIMIT', 1, 1, 1000),
      recipientWindowSeconds: 10 * 60,
      perTenantHourly: integer(env, 'PACTUM_INVITATION_TENANT_HOURLY_LIMIT', 50, 1, 1_000_000),
    },
    rateLimitPerMinute: integer(env, 'PACTUM_RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    authRateLimitPerMinute: integer(env, 'PACTUM_AUTH_RATE_LIMIT_PER_MINUTE', 60, 1, 10_000_000),
    maxEventLoopDelayMs: integer(env, 'PACTUM_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    tenantFairness: {
      concurrency: env.PACTUM_TENANT_CONCURRENCY ? integer(env, 'PACTUM_TENANT_CONCURRENCY', 4, 1, 10_000) : null,
      queueLimit: integer(env, 'PACTUM_TENANT_QUEUE_LIMIT', 100, 0, 100_000),
      queueTimeoutMs: integer(env, 'PACTUM_TENANT_QUEUE_TIMEOUT_MS', 10_000, 1, 600_000),
    },
    maxHeapUsedBytes: integer(env, 'PACTUM_MAX_HEAP_USED_MB', 1024, 0, 1_048_576) * MIB,
    maxRssBytes: integer(env, 'PACTUM_MAX_RSS_MB', 1536, 0, 1_048_576) * MIB,
    maxPoolWaiting: integer(env, 'PACTUM_MAX_POOL_WAITING', 20, 0, 100_000),
    databaseWaitSeconds: integer(env, 'PACTUM_DATABASE_WAIT_SECONDS', 300, 0, 86_400),
    shutdownSeconds: integer(env, 'PACTUM_SHUTDOWN_SECONDS', 10, 1, 3600),
    replicationReadiness: {
      requireStandby: trueFalse(env, 'PACTUM_REQUIRE_STANDBY', false),
      maxLagSeconds: seconds(env, 'PACTUM_MAX_REPLICATION_LAG_SECONDS', 1, 0.001, 86_400),
    },
    pwned: {
      enabled: onOff(env, 'PACTUM_PWNED_CHECK', false),
      apiUrl: parseUrl('PACTUM_PWNED_API_URL', env.PACTUM_PWNED_API_URL || 'https://api.pwnedpasswords.com').href.replace(/\/$/, ''),
    },
    mail: {
      smtpUrl: smtpUrl(env),
      from: env.PACTUM_MAIL_FROM || `Pactum <no-reply@${publicUrl.hostname}>`,
    },
    reminderLeadDays: leadDays(env, 'PACTUM_REMINDER_LEAD_DAYS', '90,30,7'),
    documentStorage: documentStorageConfig(env, dataDir),
    documentDownloads: {
      perUser: integer(env, 'PACTUM_DOCUMENT_DOWNLOADS_PER_USER', 4, 1, 1000),
      perNode: integer(env, 'PACTUM_DOCUMENT_DOWNLOADS_PER_NODE', 64, 1, 100_000),
      timeoutSeconds: integer(env, 'PACTUM_DOCUMENT_DOWNLOAD_TIMEOUT_SECONDS', 600, 1, 86_400),
    },
    documentSweepGraceSeconds: integer(env, 'PACTUM_DOCUMENT_SWEEP_GRACE_SECONDS', 3600, 1, 31_536_000),
    billing: billingConfig(env),
    logLevel: env.PACTUM_LOG_LEVEL || 'info',
  };
  if (config.replicationReadiness.requireStandby && !config.databaseUrl) {
    // The embedded engine has no standbys: /readyz would be 503 for ever.
    throw new ConfigError(
      'PACTUM_REQUIRE_STANDBY=true needs a PostgreSQL server (PACTUM_DATABASE_URL); the embedded engine has no standbys.',
    );
  }
  if (production) refuseUnsafeProductionSettings(config);
  return config;
}

/** Production must never run with development conveniences that weaken a promise. */
function refuseUnsafeProductionSettings(config: Config): void {
  if (config.sms.provider === 'console') {
    throw new ConfigError(
      'NODE_ENV=production refuses PACTUM_SMS_PROVIDER=console: codes would be printed, not sent. Set PACTUM_SMS_PROVIDER=twilio.',
    );
  }
  if (!config.mail.smtpUrl) {
    throw new ConfigError(
      'NODE_ENV=production requires PACTUM_SMTP_URL: invitation and password-reset links would otherwise be printed to the log.',
    );
  }
  if (config.publicUrl.protocol !== 'https:') {
    throw new ConfigError('NODE_ENV=production requires an https PACTUM_PUBLIC_URL (session cookies are Secure and HSTS is sent).');
  }
  if (config.billing && config.billing.apiUrl.protocol !== 'https:') {
    throw new ConfigError('NODE_ENV=production requires an https PACTUM_STRIPE_API_URL: the secret key travels with every call.');
  }
}

const STRIPE_VARIABLES = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_PRICE_ID'] as const;

/**
 * Billing is on with all three Stripe variables and off with none. Some but not all is refused, in every
 * environment: a key without the webhook secret would take money and never learn that it arrived, and
 * one without a price could not sell anything. Values are never echoed (they are secrets).
 */
function billingConfig(env: Env): BillingConfig | null {
  const set = STRIPE_VARIABLES.filter((name) => env[name]);
  if (set.length === 0) return null;
  if (set.length < STRIPE_VARIABLES.length) {
    const missing = STRIPE_VARIABLES.filter((name) => !env[name]);
    throw new ConfigError(
      `${set.join(', ')} set without ${missing.join(', ')}: set all three Stripe variables for billing, or none to turn it off.`,
    );
  }
  const secretKey = env.STRIPE_SECRET_KEY!;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET!;
  const priceId = env.STRIPE_PRICE_ID!;
  if (!/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/.test(secretKey))
    throw new ConfigError('STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_live_…, sk_test_…, rk_…).');
  if (!/^whsec_[A-Za-z0-9+/=]{8,}$/.test(webhookSecret))
    throw new ConfigError("STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_…).");
  if (!/^price_[A-Za-z0-9]{4,200}$/.test(priceId))
    throw new ConfigError(`STRIPE_PRICE_ID must be a Stripe price id (price_…), not "${priceId}".`);
  const apiUrl = parseUrl('PACTUM_STRIPE_API_URL', env.PACTUM_STRIPE_API_URL || 'https://api.stripe.com');
  if (
    (apiUrl.protocol !== 'https:' && apiUrl.protocol !== 'http:') ||
    (apiUrl.pathname !== '/' && apiUrl.pathname !== '') ||
    apiUrl.search
  ) {
    throw new ConfigError('PACTUM_STRIPE_API_URL must be an http(s) origin without a path, e.g. https://api.stripe.com.');
  }
  return { secretKey, webhookSecret, priceId, apiUrl };
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

const S3_VARIABLES = [
  'PACTUM_DOCUMENTS_S3_ENDPOINT',
  'PACTUM_DOCUMENTS_S3_REGION',
  'PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID',
  'PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY',
  'PACTUM_DOCUMENTS_S3_PREFIX',
];

/**
 * Documents live under the data dir unless a bucket is named. Half an S3 configuration is refused rather
 * than silently falling back to the local disk, where an operator would not look for the files.
 */
function documentStorageConfig(env: Env, dataDir: string): DocumentStorageConfig {
  const bucket = env.PACTUM_DOCUMENTS_S3_BUCKET;
  if (!bucket) {
    const stray = S3_VARIABLES.filter((name) => env[name]);
    if (stray.length > 0)
      throw new ConfigError(`${stray.join(', ')} set without PACTUM_DOCUMENTS_S3_BUCKET; set the bucket or unset them.`);
    return { kind: 'local', dir: join(dataDir, 'documents') };
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`PACTUM_DOCUMENTS_S3_BUCKET must be an S3 bucket name (3-63 characters a-z, 0-9, '.', '-'), not "${bucket}".`);
  }
  let endpoint: string | null = null;
  if (env.PACTUM_DOCUMENTS_S3_ENDPOINT) {
    const url = parseUrl('PACTUM_DOCUMENTS_S3_ENDPOINT', env.PACTUM_DOCUMENTS_S3_ENDPOINT);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError('PACTUM_DOCUMENTS_S3_ENDPOINT must be an http(s) URL.');
    endpoint = url.href.replace(/\/$/, '');
  }
  const accessKeyId = env.PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID || '';
  const secretAccessKey = env.PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY || '';
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError('PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID and PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY go together: set both or neither.');
  }
  const prefix = (env.PACTUM_DOCUMENTS_S3_PREFIX || '').replace(/^\/+|\/+$/g, '');
  if (
    prefix.length > 200 ||
    !/^[A-Za-z0-9._\-/]*$/.test(prefix) ||
    prefix.split('/').some((segment) => segment === '..' || segment === '.')
  ) {
    throw new ConfigError(
      `PACTUM_DOCUMENTS_S3_PREFIX must be at most 200 characters of A-Z, a-z, 0-9, '.', '_', '-', '/', not "${prefix}".`,
    );
  }
  return {
    kind: 's3',
    bucket,
    endpoint,
    region: env.PACTUM_DOCUMENTS_S3_REGION || 'us-east-1',
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : null,
    prefix: prefix ? `${prefix}/` : '',
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

/**
 * Digits are a hop count and `true`/`false` booleans; Fastify would take any string as an address list,
 * so "1" trusted a proxy at address 1 (every client then shared the proxy's address and its per-IP
 * limits) and "true" failed the start. Anything else is a comma-separated list of addresses and CIDR
 * ranges (or proxy-addr's names loopback, linklocal, uniquelocal), each checked here so a typo fails
 * the start with its name rather than deep inside the framework.
 */
function trustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 100) throw new ConfigError(`PACTUM_TRUST_PROXY as a hop count must be from 0 to 100, not "${value}".`);
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const wrong = entries.find((entry) => !isProxyAddress(entry));
  if (wrong !== undefined) {
    throw new ConfigError(
      `PACTUM_TRUST_PROXY must be a hop count, "true", "false", or addresses/CIDRs separated by commas; "${wrong}" is none of these.`,
    );
  }
  return entries;
}

const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off", not "${raw}".`);
}

function trueFalse(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be "true" or "false", not "${raw}".`);
}

/** A number of seconds, fractions allowed ("0.5"). */
function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) throw new ConfigError(`${name} must be a number of seconds from ${min} to ${max}, not "${raw}".`);
  return value;
}

function smtpUrl(env: Env): string | null {
  const raw = env.PACTUM_SMTP_URL;
  if (!raw) return null;
  // Never echo the value: it may carry the SMTP password.
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new ConfigError('PACTUM_SMTP_URL must be an smtp:// or smtps:// URL (credentials may sit in it: smtp://user:pass@host:587).');
  }
  return raw;
}

/** A comma-separated list of distinct whole days from 0 to 3650, e.g. "90,30,7". */
function leadDays(env: Env, name: string, fallback: string): number[] {
  const raw = env[name] || fallback;
  const values = raw.split(',').map((part) => (/^\d{1,4}$/.test(part.trim()) ? Number(part.trim()) : Number.NaN));
  if (
    values.length > 20 ||
    values.some((value) => !Number.isInteger(value) || value < 0 || value > 3650) ||
    new Set(values).size !== values.length
  ) {
    throw new ConfigError(`${name} must list up to 20 distinct whole days from 0 to 3650, comma-separated (e.g. "90,30,7"), not "${raw}".`);
  }
  return values.sort((a, b) => b - a);
}

function parseUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, not "${raw}".`);
  }
}
