import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request as the client saw it: when it went out, when (and whether) it was answered. */
export interface Outcome {
  kind: string;
  sentAt: number;
  doneAt: number;
  status: number | null;
  /** Connection-level failure (ECONNRESET, ECONNREFUSED, socket hang up …) instead of an answer. */
  error: string | null;
  problemCode: string | null;
  contentType: string | null;
  retryAfter: string | null;
  connection: string | null;
  /** For a 201 vendor write: its id, to look up afterwards. */
  id: string | null;
}

export interface Session {
  base: string;
  origin: string;
  cookie: string;
}

export function send(
  session: Session,
  method: string,
  path: string,
  options: { body?: unknown; agent?: Agent; kind?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  const url = new URL(path, session.base);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string | number> = { cookie: `pactum_session=${session.cookie}` };
  if (method !== 'GET') headers.origin = session.origin;
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const finish = (fields: Partial<Outcome>) =>
      resolve({
        kind: options.kind ?? `${method} ${url.pathname}`,
        sentAt,
        doneAt: Date.now(),
        status: null,
        error: null,
        problemCode: null,
        contentType: null,
        retryAfter: null,
        connection: null,
        id: null,
        ...fields,
      });
    const req = httpRequest(url, { method, headers, agent: options.agent, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let body: { code?: string; id?: string } = {};
        try {
          body = contentType.includes('json') ? JSON.parse(text) : {};
        } catch {
          body = {};
        }
        finish({
          status: res.statusCode ?? null,
          problemCode: contentType.startsWith('application/problem+json') ? (body.code ?? null) : null,
          contentType,
          retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          connection: (res.headers.connection as string | undefined) ?? null,
          id: res.statusCode === 201 && typeof body.id === 'string' ? body.id : null,
        });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    req.end(payload);
  });
}

let writeCounter = 0;

/** A small write whose success can be checked in the database afterwards: a vendor with a unique name. */
export function writeVendor(session: Session, agent?: Agent) {
  writeCounter += 1;
  return send(session, 'POST', '/api/v1/vendors', {
    body: { name: `drill vendor ${process.pid}-${writeCounter}-${Date.now()}` },
    agent,
    kind: 'write',
  });
}

export function readVendors(session: Session, agent?: Agent) {
  return send(session, 'GET', '/api/v1/vendors?limit=20', { agent, kind: 'read' });
}

/**
 * A bounded load: `writers` and `readers` loops, each one request at a time over its own keep-alive
 * connection, with a short pause between requests, until `stop()` is called.
 */
export function startLoad(
  session: Session,
  options: { writers: number; readers: number; pauseMs?: number; read?: (agent: Agent) => Promise<Outcome> },
) {
  const outcomes: Outcome[] = [];
  let running = true;
  const agents: Agent[] = [];
  const loop = async (work: (agent: Agent) => Promise<Outcome>) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (running) {
      outcomes.push(await work(agent));
      await sleep(options.pauseMs ?? 20);
    }
  };
  const read = options.read ?? ((agent: Agent) => readVendors(session, agent));
  const loops = [
    ...Array.from({ length: options.writers }, () => loop((agent) => writeVendor(session, agent))),
    ...Array.from({ length: options.readers }, () => loop(read)),
  ];
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
      return outcomes;
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** "200×812 201×403 503×17 ECONNRESET×2": every answer and failure, counted. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome.error ?? `${outcome.status}${outcome.problemCode ? ` ${outcome.problemCode}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Prints a drill's figures in one block, so a run's log reads as a report. */
export function report(drill: string, figures: Record<string, unknown>) {
  const lines = Object.entries(figures).map(
    ([name, value]) => `  ${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  process.stdout.write(`\n[drill] ${drill}\n${lines.join('\n')}\n`);
}
