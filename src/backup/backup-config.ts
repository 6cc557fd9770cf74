import { resolve } from 'node:path';
import { ConfigError, decodeKey } from '../config.js';

/** Where backups go: a directory, or an S3-compatible bucket (names fixed by API.md). */
export type BackupTargetConfig =
  | { kind: 'dir'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** null: AWS itself. */
      endpoint: string | null;
      region: string;
      /** null: the SDK's default credential chain. */
      credentials: { accessKeyId: string; secretAccessKey: string } | null;
      /** '' or a prefix ending in '/'. */
      prefix: string;
    };

export interface BackupConfig {
  /** AES-256 key material (32 bytes); null when PACTUM_BACKUP_KEY is unset. */
  key: Buffer | null;
  target: BackupTargetConfig | null;
  /** The daily run, UTC. */
  at: { hour: number; minute: number };
  keepDaily: number;
  keepMonthly: number;
}

/** A configuration with everything a backup needs. */
export interface BackupSetup extends BackupConfig {
  key: Buffer;
  target: BackupTargetConfig;
}

type Env = Record<string, string | undefined>;

const S3_VARIABLES = [
  'PACTUM_BACKUP_S3_ENDPOINT',
  'PACTUM_BACKUP_S3_PREFIX',
  'PACTUM_BACKUP_S3_REGION',
  'PACTUM_BACKUP_S3_ACCESS_KEY_ID',
  'PACTUM_BACKUP_S3_SECRET_ACCESS_KEY',
];

/**
 * Read separately from loadConfig: only the backup commands and the scheduler inside `serve` need it. Half
 * a configuration (a destination without a key, S3 settings without a bucket, both a directory and a
 * bucket) is refused, so a node never silently runs without the backups its operator thinks it takes.
 */
export function loadBackupConfig(env: Env = process.env): BackupConfig {
  const key = env.PACTUM_BACKUP_KEY ? decodeKey('PACTUM_BACKUP_KEY', env.PACTUM_BACKUP_KEY) : null;
  const target = backupTarget(env);
  if (target && !key) throw new ConfigError('a backup destination is set but PACTUM_BACKUP_KEY is not (32 random bytes, base64).');
  return {
    key,
    target,
    at: timeOfDay(env.PACTUM_BACKUP_AT || '02:00'),
    keepDaily: integer(env, 'PACTUM_BACKUP_KEEP_DAILY', 30, 1, 3650),
    keepMonthly: integer(env, 'PACTUM_BACKUP_KEEP_MONTHLY', 12, 0, 1200),
  };
}

/** For the commands: the key and a destination, or a one-line reason. */
export function requireBackupSetup(config: BackupConfig): BackupSetup {
  if (!config.key) throw new ConfigError('PACTUM_BACKUP_KEY is required (32 random bytes, base64: openssl rand -base64 32).');
  if (!config.target) throw new ConfigError('no backup destination: set PACTUM_BACKUP_DIR or PACTUM_BACKUP_S3_BUCKET.');
  return config as BackupSetup;
}

function backupTarget(env: Env): BackupTargetConfig | null {
  const bucket = env.PACTUM_BACKUP_S3_BUCKET;
  const dir = env.PACTUM_BACKUP_DIR;
  if (bucket && dir) throw new ConfigError('set PACTUM_BACKUP_DIR or PACTUM_BACKUP_S3_BUCKET, not both.');
  if (!bucket) {
    const stray = S3_VARIABLES.filter((name) => env[name]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} set without PACTUM_BACKUP_S3_BUCKET; set the bucket or unset them.`);
    return dir ? { kind: 'dir', dir: resolve(dir) } : null;
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new ConfigError(`PACTUM_BACKUP_S3_BUCKET must be an S3 bucket name (3-63 characters a-z, 0-9, '.', '-'), not "${bucket}".`);
  let endpoint: string | null = null;
  if (env.PACTUM_BACKUP_S3_ENDPOINT) {
    let url: URL;
    try {
      url = new URL(env.PACTUM_BACKUP_S3_ENDPOINT);
    } catch {
      throw new ConfigError('PACTUM_BACKUP_S3_ENDPOINT must be an absolute http(s) URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PACTUM_BACKUP_S3_ENDPOINT must be an http(s) URL.');
    endpoint = url.href.replace(/\/$/, '');
  }
  const accessKeyId = env.PACTUM_BACKUP_S3_ACCESS_KEY_ID || '';
  const secretAccessKey = env.PACTUM_BACKUP_S3_SECRET_ACCESS_KEY || '';
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
    throw new ConfigError('PACTUM_BACKUP_S3_ACCESS_KEY_ID and PACTUM_BACKUP_S3_SECRET_ACCESS_KEY go together: set both or neither.');
  const prefix = (env.PACTUM_BACKUP_S3_PREFIX || '').replace(/^\/+|\/+$/g, '');
  if (prefix.length > 200 || !/^[A-Za-z0-9._\-/]*$/.test(prefix) || prefix.split('/').some((part) => part === '..' || part === '.'))
    throw new ConfigError(`PACTUM_BACKUP_S3_PREFIX must be at most 200 characters of A-Z, a-z, 0-9, '.', '_', '-', '/', not "${prefix}".`);
  return {
    kind: 's3',
    bucket,
    endpoint,
    region: env.PACTUM_BACKUP_S3_REGION || 'us-east-1',
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : null,
    prefix: prefix ? `${prefix}/` : '',
  };
}

function timeOfDay(raw: string): { hour: number; minute: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw.trim());
  if (!match) throw new ConfigError(`PACTUM_BACKUP_AT must be a UTC time of day HH:MM (e.g. 02:00), not "${raw}".`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}".`);
  return value;
}
