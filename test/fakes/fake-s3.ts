import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an S3-compatible server (MinIO, s3rver …): path-style PUT, GET and DELETE of objects,
 * bytes kept in memory exactly as they arrived. It stores what the client sent without decoding any
 * aws-chunked framing, so a client that streams framed bodies is caught by comparing SHA-256 sums
 * (MACHINE-NOTES). Requests must be SigV4-signed (the signature itself is not verified).
 */
export interface FakeS3 {
  /** Endpoint to pass as PACTUM_DOCUMENTS_S3_ENDPOINT. */
  url: string;
  /** Stored objects by "bucket/key". */
  objects: Map<string, StoredObject>;
  requests: Array<{ method: string; bucket: string; key: string; status: number; headers: IncomingMessage['headers'] }>;
  /** Answer the next request with this status (an S3 error body). */
  failNext(status: number): void;
  close(): Promise<void>;
}

export interface StoredObject {
  bytes: Buffer;
  sha256: string;
  contentType: string | undefined;
}

const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const requests: FakeS3['requests'] = [];
  const pendingFailures: number[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const [, bucket = '', ...rest] = path.split('/');
    const key = rest.map((segment) => decodeURIComponent(segment)).join('/');
    const record = (status: number) => requests.push({ method: request.method ?? '', bucket, key, status, headers: request.headers });
    const fail = (status: number, code: string, message: string) => {
      record(status);
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key></Error>`);
    };

    const body = await readBody(request);
    const failure = pendingFailures.shift();
    if (failure !== undefined) return fail(failure, failure === 503 ? 'SlowDown' : 'InternalError', 'Injected failure');
    if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) return fail(403, 'AccessDenied', 'Missing SigV4 authorization');
    if (!bucket || !key) return fail(400, 'InvalidRequest', 'Path-style /bucket/key expected');
    const id = `${bucket}/${key}`;

    switch (request.method) {
      case 'PUT': {
        if (body === null) return fail(400, 'EntityTooLarge', 'Object too large');
        const sha256 = createHash('sha256').update(body).digest('hex');
        // Like S3: a hex x-amz-content-sha256 must match the body it claims to describe.
        const claimed = String(request.headers['x-amz-content-sha256'] ?? '');
        if (/^[0-9a-f]{64}$/.test(claimed) && claimed !== sha256) return fail(400, 'XAmzContentSHA256Mismatch', 'Body does not match its SHA-256');
        objects.set(id, { bytes: body, sha256, contentType: request.headers['content-type'] });
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
    requests,
    failNext: (status) => void pendingFailures.push(status),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
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
