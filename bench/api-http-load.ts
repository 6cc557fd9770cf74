/**
 * The HTTP clients of bench/api.ts phase (a), in a process of their own as real clients would be:
 * CONCURRENCY loops of GET /api/v1/contracts over keep-alive connections, each request for a random
 * tenant's session. Driven over the fork IPC channel.
 *
 * Two clients: node:http with a keep-alive agent (the default: it costs the shared CPUs the least, so the
 * measurement is of the app rather than of its load generator), or the global fetch (undici).
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

/** wrk runs as its own program (bench/api-wrk.ts); the other two run in this process. */
export type HttpClient = 'wrk' | 'http' | 'fetch';

export interface LoadRequest {
  client: HttpClient;
  baseUrl: string;
  path: string;
  cookieName: string;
  tokens: string[];
  concurrency: number;
  durationMs: number;
  /** Items every answer must carry (checked on a sample: parsing every body would load the clients). */
  expectedItems: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  errorCount: number;
  /** CPU time this client process used during the run. */
  cpuSeconds: number;
  /** The first few errors. */
  errors: string[];
}

type Get = (url: string, cookie: string, wantBody: boolean) => Promise<{ status: number; body: string }>;

let agent: Agent | null = null;

function httpGet(concurrency: number): Get {
  agent ??= new Agent({ keepAlive: true, maxSockets: concurrency });
  const keepAlive = agent;
  return (url, cookie, wantBody) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(url, { agent: keepAlive, headers: { cookie } }, (response) => {
        const chunks: Buffer[] = [];
        const status = response.statusCode ?? 0;
        response.on('data', (chunk: Buffer) => {
          if (wantBody || status !== 200) chunks.push(chunk);
        });
        response.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
}

const fetchGet: Get = async (url, cookie) => {
  const response = await fetch(url, { headers: { cookie } });
  return { status: response.status, body: await response.text() };
};

async function run(request: LoadRequest): Promise<LoadResult> {
  const get = request.client === 'fetch' ? fetchGet : httpGet(request.concurrency);
  const latencies: number[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const fail = (error: string) => {
    errorCount += 1;
    if (errors.length < 20) errors.push(error);
  };
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  const deadline = begin + request.durationMs;
  let sample = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const token = request.tokens[Math.floor(Math.random() * request.tokens.length)]!;
      const check = sample++ % 100 === 0;
      const start = performance.now();
      try {
        const response = await get(request.baseUrl + request.path, `${request.cookieName}=${token}`, check);
        latencies.push(performance.now() - start);
        if (response.status !== 200) fail(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
        else if (check) {
          const items = (JSON.parse(response.body) as { items: unknown[] }).items.length;
          if (items !== request.expectedItems) fail(`expected ${request.expectedItems} items, got ${items}`);
        }
      } catch (error) {
        fail(error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, client));
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.sort((x, y) => x - y);
  const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return {
    requests: latencies.length,
    seconds: (performance.now() - begin) / 1000,
    p50: percentile(50),
    p99: percentile(99),
    errorCount,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    errors,
  };
}

process.on('message', (message: LoadRequest | 'exit') => {
  if (message === 'exit') process.exit(0);
  void run(message).then((result) => process.send?.(result));
});
