/**
 * The HTTP clients of bench/api.ts phase (a) when wrk (Debian package `wrk`) is installed: one wrk thread
 * keeping CONCURRENCY keep-alive connections busy, each request for a random tenant's session. wrk is C
 * and reads answers without parsing them, so it costs the CPUs that the app and PostgreSQL share about a
 * sixth of what the node:http clients cost per request (measured here: 31 against 194 µs for a 35 KB answer).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadRequest, LoadResult } from './api-http-load.js';

export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** Requests are formatted once in wrk's init, and `done` prints the summary as one line of JSON. */
function script(request: LoadRequest): string {
  const lua = (value: string) => JSON.stringify(value); // a JSON string of ASCII is a valid Lua string literal
  const cookies = request.tokens.map((token) => lua(`${request.cookieName}=${token}`)).join(',\n  ');
  return `
local cookies = {
  ${cookies}
}
local requests = {}
init = function(args)
  for i, cookie in ipairs(cookies) do
    requests[i] = wrk.format("GET", ${lua(request.path)}, { ["Cookie"] = cookie })
  end
end
request = function()
  return requests[math.random(#requests)]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('PACTUM_WRK {"requests":%d,"microseconds":%d,"p50":%d,"p99":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`;
}

interface WrkSummary {
  requests: number;
  microseconds: number;
  p50: number;
  p99: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/**
 * Runs wrk under a shell that prints its own /proc stat afterwards: the cutime and cstime there are the CPU
 * that wrk, the shell's waited-for child, used.
 */
export async function runWrk(request: LoadRequest): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pactum-wrk-'));
  try {
    const scriptPath = join(dir, 'clients.lua');
    writeFileSync(scriptPath, script(request));
    const seconds = Math.max(1, Math.round(request.durationMs / 1000));
    const args = ['-t1', `-c${request.concurrency}`, `-d${seconds}s`, '--timeout', '10s', '-s', scriptPath, request.baseUrl];
    const output = await run('sh', ['-c', 'wrk "$@"; status=$?; echo "PACTUM_SHELL $(cat /proc/$$/stat)"; exit $status', 'sh', ...args]);
    const summaryLine = output.split('\n').find((line) => line.startsWith('PACTUM_WRK '));
    const statLine = output.split('\n').find((line) => line.startsWith('PACTUM_SHELL '));
    if (!summaryLine || !statLine) throw new Error(`wrk printed no summary:\n${output}`);
    const summary = JSON.parse(summaryLine.slice('PACTUM_WRK '.length)) as WrkSummary;
    const failed = summary.connect + summary.read + summary.write + summary.status + summary.timeout;
    const errors =
      failed > 0
        ? [
            `wrk: ${summary.status} answers other than 2xx/3xx, ${summary.timeout} timeouts, ${summary.connect + summary.read + summary.write} socket errors`,
          ]
        : [];
    return {
      requests: summary.requests - summary.status,
      seconds: summary.microseconds / 1e6,
      p50: summary.p50 / 1000,
      p99: summary.p99 / 1000,
      errorCount: failed,
      cpuSeconds: childCpuSeconds(statLine.slice('PACTUM_SHELL '.length)),
      errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fields 16 and 17 of /proc/PID/stat (cutime, cstime), counted after the command name, which may hold spaces. */
function childCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / clockTicksPerSecond();
}

let ticksPerSecond: number | null = null;
function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticksPerSecond;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`wrk exited with ${code}:\n${output}`))));
  });
}
