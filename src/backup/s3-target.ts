import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { BackupTargetConfig } from './backup-config.js';
import { BACKUP_FILE_NAME, BackupNotFoundError, type BackupTarget, type StoredFile } from './targets.js';

type S3Config = Extract<BackupTargetConfig, { kind: 's3' }>;

/** 16 MiB parts, two in flight: a 1 GB dump is ~64 parts, and at most ~32 MiB of it is held in memory. */
const PART_SIZE = 16 * 1024 * 1024;

/**
 * Objects `<prefix><name>` in one bucket, uploaded through the SDK's multipart helper (each part a buffer
 * of known length). For custom endpoints the SDK's own checksums are limited to where S3 requires them —
 * otherwise S3-compatible servers may store the aws-chunked framing as part of the object (MACHINE-NOTES)
 * — and the caller compares the SHA-256 of what was stored with the manifest instead.
 */
export function createS3Target(config: S3Config): BackupTarget {
  const client = new S3Client({
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.endpoint
      ? {
          endpoint: config.endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    maxAttempts: 3,
  });
  const key = (name: string) => {
    if (!BACKUP_FILE_NAME.test(name)) throw new Error(`not a backup file name: ${name}`);
    return `${config.prefix}${name}`;
  };
  return {
    description: `s3://${config.bucket}/${config.prefix}`,
    async put(name, body) {
      const upload = new Upload({
        client,
        params: {
          Bucket: config.bucket,
          Key: key(name),
          Body: Readable.from(body, { objectMode: false }),
          ContentType: 'application/octet-stream',
        },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
    },
    async get(name) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key(name) }));
        if (!object.Body) throw new BackupNotFoundError(`no backup file ${name} in s3://${config.bucket}/${config.prefix}`);
        return object.Body as Readable;
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404))
          throw new BackupNotFoundError(`no backup file ${name} in s3://${config.bucket}/${config.prefix}`);
        throw error;
      }
    },
    async list() {
      const files: StoredFile[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: config.bucket, Prefix: config.prefix, ContinuationToken: token, MaxKeys: 1000 }),
        );
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(config.prefix.length) ?? '';
          if (object.Key?.startsWith(config.prefix) && BACKUP_FILE_NAME.test(name)) files.push({ name, size: object.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return files;
    },
    async delete(name) {
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: key(name) }));
    },
  };
}
