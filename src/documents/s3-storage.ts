import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { DocumentStorageConfig } from '../config.js';
import {
  assertStorageKey,
  blobFromStream,
  BlobNotFoundError,
  BlobTooLargeError,
  isStorageKey,
  type DocumentStorage,
  type StoredEntry,
} from './storage.js';

type S3Config = Extract<DocumentStorageConfig, { kind: 's3' }>;

/** S3's smallest part; a blob up to this size goes up as one PutObject. */
const PART_SIZE = 5 * 1024 * 1024;

/**
 * Blobs as objects `<prefix><tenant id>/<document id>` in one bucket. Uploads stream through the SDK's
 * own multipart helper (@aws-sdk/lib-storage): it cuts the blob into 5 MiB parts, each sent as a buffer
 * with a known length — S3-compatible servers (MinIO, s3rver, Ceph …) otherwise receive the SDK's
 * aws-chunked framing and may store it as part of the object — and one part at a time (queueSize 1), so an
 * upload holds at most about one part in memory. A failed upload is aborted, so no parts stay behind. For
 * such endpoints the SDK's own checksums are limited to where S3 requires them (MACHINE-NOTES); our GCM
 * tags and SHA-256 check the bytes end to end.
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
    async put(key, source) {
      const upload = new Upload({
        client,
        params: {
          Bucket: config.bucket,
          Key: objectKey(key),
          Body: Readable.from(source, { objectMode: false }),
          ContentType: 'application/octet-stream',
        },
        partSize: PART_SIZE,
        queueSize: 1,
        leavePartsOnError: false,
      });
      await upload.done();
    },

    async get(key, maxBytes) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: objectKey(key) }));
        const body = object.Body as Readable | undefined;
        if (!body) throw new BlobNotFoundError(key);
        if (object.ContentLength === undefined || object.ContentLength > maxBytes) {
          body.destroy();
          throw new BlobTooLargeError(key, object.ContentLength ?? Number.NaN);
        }
        return blobFromStream(body, object.ContentLength);
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404))
          throw new BlobNotFoundError(key);
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: objectKey(key) }));
    },

    /** Objects under the prefix that are blobs; anything else in the bucket is not ours to judge. */
    async *list(): AsyncGenerator<StoredEntry> {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: config.bucket, Prefix: config.prefix, ContinuationToken: token, MaxKeys: 1000 }),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(config.prefix.length) ?? '';
          if (object.Key?.startsWith(config.prefix) && isStorageKey(key) && object.LastModified)
            yield { kind: 'blob', key, modifiedAt: object.LastModified };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    /** A bucket has no leftovers to list: an interrupted multipart upload is aborted, or expires by the bucket's lifecycle rule. */
    async deleteLeftover() {
      throw new Error('an S3 bucket keeps no leftover files');
    },
  };
}
