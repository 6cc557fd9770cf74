import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { PACTUM_DATA_DIR: '/tmp/pactum-config-docs', PACTUM_MASTER_KEY: randomBytes(32).toString('base64') };

describe('document storage configuration', () => {
  it('keeps documents under the data dir by default', () => {
    expect(loadConfig(base).documentStorage).toEqual({ kind: 'local', dir: join('/tmp/pactum-config-docs', 'documents') });
  });

  it('uses S3 once a bucket is named', () => {
    const config = loadConfig({
      ...base,
      PACTUM_DOCUMENTS_S3_BUCKET: 'pactum-docs',
      PACTUM_DOCUMENTS_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      PACTUM_DOCUMENTS_S3_REGION: 'eu-central-2',
      PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID: 'AKIA',
      PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY: 'secret',
      PACTUM_DOCUMENTS_S3_PREFIX: '/prod/documents/',
    });
    expect(config.documentStorage).toEqual({
      kind: 's3',
      bucket: 'pactum-docs',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-2',
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
      prefix: 'prod/documents/',
    });
  });

  it('defaults to AWS, us-east-1, the SDK credential chain and no prefix', () => {
    expect(loadConfig({ ...base, PACTUM_DOCUMENTS_S3_BUCKET: 'pactum-docs' }).documentStorage).toEqual({
      kind: 's3',
      bucket: 'pactum-docs',
      endpoint: null,
      region: 'us-east-1',
      credentials: null,
      prefix: '',
    });
  });

  it.each([
    [{ PACTUM_DOCUMENTS_S3_ENDPOINT: 'http://127.0.0.1:9000' }, /without PACTUM_DOCUMENTS_S3_BUCKET/],
    [{ PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY: 'x' }, /without PACTUM_DOCUMENTS_S3_BUCKET/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'Bad_Bucket' }, /bucket name/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'b/../c' }, /bucket name/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'pactum', PACTUM_DOCUMENTS_S3_ENDPOINT: 'not a url' }, /absolute URL/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'pactum', PACTUM_DOCUMENTS_S3_ENDPOINT: 'ftp://x' }, /http\(s\)/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'pactum', PACTUM_DOCUMENTS_S3_ACCESS_KEY_ID: 'AKIA' }, /go together/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'pactum', PACTUM_DOCUMENTS_S3_PREFIX: 'a/../b' }, /PREFIX/],
    [{ PACTUM_DOCUMENTS_S3_BUCKET: 'pactum', PACTUM_DOCUMENTS_S3_PREFIX: 'a b' }, /PREFIX/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('never echoes the secret access key in an error', () => {
    try {
      loadConfig({ ...base, PACTUM_DOCUMENTS_S3_SECRET_ACCESS_KEY: 'very-secret-value' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('very-secret-value');
    }
  });
});
