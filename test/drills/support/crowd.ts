/**
 * A crowd of concurrent clients in a process of its own, so that measuring the node from the drill's
 * process is not slowed by generating the load. Each of CONCURRENCY loops sends GET LIST_PATH over its own
 * keep-alive connection, one request at a time, until DURATION_MS has passed; then one JSON line with
 * the answers counted is printed (after a line `started` once every client is under way).
 */
import { Agent, request } from 'node:http';

const { BASE, COOKIE, LIST_PATH, CONCURRENCY, DURATION_MS } = process.env as Record<string, string>;
const until = Date.now() + Number(DURATION_MS);
const counts: Record<string, number> = {};
let requests = 0;

function once(agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const req = request(new URL(LIST_PATH!, BASE), { agent, headers: { cookie: `pactum_session=${COOKIE}` }, timeout: 30_000 }, (res) => {
      let body = '';
      const problem = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
      res.setEncoding('utf8').on('data', (chunk: string) => {
        if (problem) body += chunk;
      });
      res.on('end', () => {
        let code = '';
        if (problem) {
          try {
            code = ` ${(JSON.parse(body) as { code?: string }).code}`;
          } catch {
            code = ' unreadable';
          }
        }
        count(`${res.statusCode}${code}`);
        resolve();
      });
      res.on('error', (error: NodeJS.ErrnoException) => {
        count(error.code ?? 'error');
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => {
      count(error.code ?? 'error');
      resolve();
    });
    req.end();
  });
}

function count(key: string) {
  requests += 1;
  counts[key] = (counts[key] ?? 0) + 1;
}

async function client() {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  while (Date.now() < until) await once(agent);
  agent.destroy();
}

const clients = Array.from({ length: Number(CONCURRENCY) }, client);
// The drill measures from here: starting this process takes seconds on a busy machine.
process.stdout.write('started\n');
await Promise.all(clients);
process.stdout.write(`${JSON.stringify({ requests, counts })}\n`);
