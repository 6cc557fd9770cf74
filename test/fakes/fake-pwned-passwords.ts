import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedPwnedPasswordsRequest = { path: string; headers: IncomingHttpHeaders };

export type FakePwnedPasswords = {
  url: string;
  requests: RecordedPwnedPasswordsRequest[];
  close(): Promise<void>;
  setDown(down: boolean): void;
};

const paddingLinesPerResponse = 5;

/**
 * Speaks the Have I Been Pwned range API (GET /range/{5 hex}) for a fixed list
 * of breached plaintext passwords, and records what clients sent so tests can
 * prove that only a hash prefix leaves the service.
 */
export async function startFakePwnedPasswords(breached: string[]): Promise<FakePwnedPasswords> {
  const breachCounts = countBreachesBySha1(breached);
  const requests: RecordedPwnedPasswordsRequest[] = [];
  let down = false;

  const server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    if (down) return respond(response, 503, 'Service Unavailable');
    answerRangeRequest(request, response, breachCounts);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setDown(isDown) {
      down = isDown;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function countBreachesBySha1(breached: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const password of breached) {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    counts.set(digest, (counts.get(digest) ?? 0) + 1);
  }
  return counts;
}

function answerRangeRequest(request: IncomingMessage, response: ServerResponse, breachCounts: Map<string, number>): void {
  const prefix = /^\/range\/([0-9A-Fa-f]{5})$/.exec(request.url ?? '')?.[1]?.toUpperCase();
  if (request.method !== 'GET' || prefix === undefined) {
    return respond(response, 400, 'The hash prefix was not in a valid format');
  }
  const matchingLines = [...breachCounts]
    .filter(([digest]) => digest.startsWith(prefix))
    .map(([digest, count]) => `${digest.slice(prefix.length)}:${count}`);
  // Like the real service, padding is only added when the client asks for it.
  const padding = request.headers['add-padding'] === 'true' ? paddingLines() : [];
  respond(response, 200, [...matchingLines, ...padding].join('\r\n'));
}

function paddingLines(): string[] {
  return Array.from({ length: paddingLinesPerResponse }, () => `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
}

function respond(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
}
