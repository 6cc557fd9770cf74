import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an S3-compatible server (MinIO, s3rver …): path-style PUT, GET and DELETE of objects,
 * multipart uploads (create, upload part, complete, abort) and ListObjectsV2, bytes kept in memory
 * exactly as they arrived. It stores what the client sent without decoding any
 * aws-chunked framing, so a client that streams framed bodies is caught by comparing SHA-256 sums
 * (MACHINE-NOTES). Requests must be SigV4-signed (the signature itself is not verified).
 */
export interface FakeS3 {
  /** Endpoint to pass as PACTUM_DOCUMENTS_S3_ENDPOINT. */
  url: string;
  /** Stored objects by "bucket/key". */
  objects: Map<string, StoredObject>;
  /** Multipart uploads begun and neither completed nor aborted, by upload id. */
  multipartUploads: Map<string, { id: string; parts: Map<number, Buffer> }>;
  requests: Array<{ method: string; bucket: string; key: string; status: number; headers: IncomingMessage['headers'] }>;
  /** Answer the next request with this status (an S3 error body). */
  failNext(status: number): void;
  close(): Promise<void>;
}

export interface StoredObject {
  bytes: Buffer;
  sha256: string;
  contentType: string | undefined;
  /** Reported as LastModified in listings; tests may move it back to age an object. */
  lastModified: Date;
}

const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const multipartUploads: FakeS3['multipartUploads'] = new Map();
  let uploadCounter = 0;
  const requests: FakeS3['requests'] = [];
  const pendingFailures: number[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname;
    const query = url.searchParams;
    const [, bucket = '', ...rest] = path.split('/');
    const key = rest.map((segment) => decodeURIComponent(segment)).join('/');
    const record = (status: number) => requests.push({ method: request.method ?? '', bucket, key, status, headers: request.headers });
    const fail = (status: number, code: string, message: string) => {
      record(status);
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key></Error>`,
      );
    };

    const body = await readBody(request);
    const failure = pendingFailures.shift();
    if (failure !== undefined) return fail(failure, failure === 503 ? 'SlowDown' : 'InternalError', 'Injected failure');
    if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
      return fail(403, 'AccessDenied', 'Missing SigV4 authorization');
    if (bucket && !key && request.method === 'GET' && query.get('list-type') === '2') return list(objects, bucket, query, response, record);
    if (!bucket || !key) return fail(400, 'InvalidRequest', 'Path-style /bucket/key expected');
    const id = `${bucket}/${key}`;
    const xml = (status: number, body: string, headers: Record<string, string> = {}) => {
      record(status);
      response.writeHead(status, { 'content-type': 'application/xml', ...headers });
      response.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
    };

    if (request.method === 'POST' && query.has('uploads')) {
      uploadCounter += 1;
      const uploadId = `upload-${uploadCounter}`;
      multipartUploads.set(uploadId, { id, parts: new Map() });
      return xml(
        200,
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    const uploadId = query.get('uploadId');
    if (uploadId !== null) {
      const upload = multipartUploads.get(uploadId);
      if (!upload || upload.id !== id) return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
      if (request.method === 'PUT') {
        if (body === null) return fail(400, 'EntityTooLarge', 'Part too large');
        upload.parts.set(Number(query.get('partNumber')), body);
        record(200);
        response.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return response.end();
      }
      if (request.method === 'DELETE') {
        multipartUploads.delete(uploadId);
        record(204);
        response.writeHead(204);
        return response.end();
      }
      if (request.method === 'POST') {
        const bytes = Buffer.concat([...upload.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part));
        multipartUploads.delete(uploadId);
        objects.set(id, {
          bytes,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          contentType: undefined,
          lastModified: new Date(),
        });
        return xml(
          200,
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"multipart"</ETag></CompleteMultipartUploadResult>`,
        );
      }
    }

    switch (request.method) {
      case 'PUT': {
        if (body === null) return fail(400, 'EntityTooLarge', 'Object too large');
        const sha256 = createHash('sha256').update(body).digest('hex');
        // Like S3: a hex x-amz-content-sha256 must match the body it claims to describe.
        const claimed = String(request.headers['x-amz-content-sha256'] ?? '');
        if (/^[0-9a-f]{64}$/.test(claimed) && claimed !== sha256)
          return fail(400, 'XAmzContentSHA256Mismatch', 'Body does not match its SHA-256');
        objects.set(id, { bytes: body, sha256, contentType: request.headers['content-type'], lastModified: new Date() });
        record(200);
        response.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return response.end();
      }
      case 'GET': {
        const object = objects.get(id);
        if (!object) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        record(200);
        response.writeHead(200, {
          'content-type': object.contentType ?? 'application/octet-stream',
          'content-length': object.bytes.length,
          etag: `"${createHash('md5').update(object.bytes).digest('hex')}"`,
          'last-modified': new Date().toUTCString(),
        });
        return response.end(object.bytes);
      }
      case 'DELETE':
        objects.delete(id);
        record(204);
        response.writeHead(204);
        return response.end();
      default:
        return fail(405, 'MethodNotAllowed', 'Method not allowed');
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    multipartUploads,
    requests,
    failNext: (status) => void pendingFailures.push(status),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** ListObjectsV2: keys in order, a page of max-keys at a time, the continuation token being the last key given. */
function list(
  objects: Map<string, StoredObject>,
  bucket: string,
  query: URLSearchParams,
  response: ServerResponse,
  record: (status: number) => void,
) {
  const prefix = query.get('prefix') ?? '';
  const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), 1000);
  const after = query.get('continuation-token') ?? '';
  const keys = [...objects.keys()]
    .filter((id) => id.startsWith(`${bucket}/`))
    .map((id) => id.slice(bucket.length + 1))
    .filter((key) => key.startsWith(prefix) && key > after)
    .sort();
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents = page
    .map((key) => {
      const object = objects.get(`${bucket}/${key}`)!;
      return `<Contents><Key>${key}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><Size>${object.bytes.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  record(200);
  response.writeHead(200, { 'content-type': 'application/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${page.at(-1)}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_OBJECT_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
