/**
 * The HTTP clients of bench/api.ts phase (a), in a process of their own as real clients would be:
 * CONCURRENCY loops of GET /api/v1/contracts over keep-alive connections (the global fetch, undici),
 * each request for a random tenant's session. Driven over the fork IPC channel.
 */
import { performance } from 'node:perf_hooks';

export interface LoadRequest {
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
  latencies: number[];
  errorCount: number;
  /** The first few errors. */
  errors: string[];
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const fail = (error: string) => {
    errorCount += 1;
    if (errors.length < 20) errors.push(error);
  };
  const begin = performance.now();
  const deadline = begin + request.durationMs;
  let sample = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const token = request.tokens[Math.floor(Math.random() * request.tokens.length)]!;
      const start = performance.now();
      try {
        const response = await fetch(request.baseUrl + request.path, { headers: { cookie: `${request.cookieName}=${token}` } });
        const body = await response.text();
        latencies.push(performance.now() - start);
        if (response.status !== 200) fail(`HTTP ${response.status}: ${body.slice(0, 300)}`);
        else if (sample++ % 100 === 0) {
          const items = (JSON.parse(body) as { items: unknown[] }).items.length;
          if (items !== request.expectedItems) fail(`expected ${request.expectedItems} items, got ${items}`);
        }
      } catch (error) {
        fail(error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, client));
  return { requests: latencies.length, seconds: (performance.now() - begin) / 1000, latencies, errorCount, errors };
}

process.on('message', (message: LoadRequest | 'exit') => {
  if (message === 'exit') process.exit(0);
  void run(message).then((result) => process.send?.(result));
});
