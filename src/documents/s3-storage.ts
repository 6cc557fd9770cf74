import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { DocumentStorageConfig } from '../config.js';
import { assertStorageKey, BlobNotFoundError, BlobTooLargeError, type DocumentStorage } from './storage.js';

type S3Config = Extract<DocumentStorageConfig, { kind: 's3' }>;

/**
 * Blobs as objects `<prefix><tenant id>/<document id>` in one bucket. The blob goes up as one buffer with
 * a known length: S3-compatible servers (MinIO, s3rver, Ceph …) otherwise receive the SDK's aws-chunked
 * framing and may store it as part of the object. For such endpoints the SDK's own checksums are also
 * limited to where S3 requires them (MACHINE-NOTES); our GCM tag and SHA-256 check the bytes end to end.
 */
export function createS3Storage(config: S3Config): DocumentStorage {
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
  const objectKey = (key: string) => `${config.prefix}${assertStorageKey(key)}`;

  return {
    async put(key, bytes) {
      const body = Buffer.isBuffer(bytes) ? bytes : Buffer.concat(bytes);
      await client.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: objectKey(key),
          Body: body,
          ContentLength: body.length,
          ContentType: 'application/octet-stream',
        }),
      );
    },

    async get(key, maxBytes) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: objectKey(key) }));
        if (object.ContentLength !== undefined && object.ContentLength > maxBytes) {
          (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
          throw new BlobTooLargeError(key, object.ContentLength);
        }
        if (!object.Body) throw new BlobNotFoundError(key);
        const bytes = Buffer.from(await object.Body.transformToByteArray());
        if (bytes.length > maxBytes) throw new BlobTooLargeError(key, bytes.length);
        return bytes;
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)) throw new BlobNotFoundError(key);
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: objectKey(key) }));
    },
  };
}
