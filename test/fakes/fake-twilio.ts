import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for api.twilio.com that speaks the two endpoints Pactum uses, with Twilio's
 * Basic auth, form-encoded bodies and JSON answers, so the real adapter can be exercised end to end.
 */
export interface FakeTwilio {
  /** Base URL to pass as PACTUM_TWILIO_API_URL / apiUrl. */
  url: string;
  /** Accepted SMS, oldest first. */
  messages: Array<{ to: string; from: string; body: string }>;
  /** Accepted calls, oldest first. */
  calls: Array<{ to: string; from: string; twiml: string }>;
  /** Every request that reached the server, whatever the answer. */
  requests: Array<{ method: string; path: string; status: number }>;
  /** The code in the latest SMS or call to `to`, or undefined when none carried a code. */
  lastCodeFor(to: string): string | undefined;
  /** Answer the next request with this HTTP status and a Twilio error body. Calls queue up. */
  failNext(status: number): void;
  close(): Promise<void>;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
}

interface TwilioAnswer {
  status: number;
  body: Record<string, unknown>;
}

const MAX_BODY_BYTES = 64 * 1024;
const RESOURCE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;

export async function startFakeTwilio({ accountSid, authToken }: FakeTwilioOptions): Promise<FakeTwilio> {
  const messages: FakeTwilio['messages'] = [];
  const calls: FakeTwilio['calls'] = [];
  const requests: FakeTwilio['requests'] = [];
  const deliveries: Array<{ to: string; code: string | undefined }> = [];
  const pendingFailures: number[] = [];

  async function answer(request: IncomingMessage): Promise<TwilioAnswer> {
    const form = await readForm(request);
    const failure = pendingFailures.shift();
    if (failure !== undefined) return twilioError(failure, failureCode(failure), 'Injected failure');
    const route = RESOURCE_PATH.exec(new URL(request.url ?? '/', 'http://fake').pathname);
    if (route === null) return twilioError(404, 20404, 'The requested resource was not found');
    if (request.method !== 'POST') return twilioError(405, 20004, 'Method not allowed');
    if (!hasValidCredentials(request.headers.authorization, accountSid, authToken)) {
      return twilioError(401, 20003, 'Authenticate');
    }
    if (decodeURIComponent(route[1] ?? '') !== accountSid) {
      return twilioError(404, 20404, 'The requested resource was not found');
    }
    return route[2] === 'Messages' ? createMessage(form) : createCall(form);
  }

  function createMessage(form: URLSearchParams): TwilioAnswer {
    const to = form.get('To');
    const from = form.get('From');
    const body = form.get('Body');
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!from) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!body) return twilioError(400, 21602, 'Message body is required.');
    messages.push({ to, from, body });
    deliveries.push({ to, code: codeInSms(body) });
    const sid = twilioSid('SM');
    return {
      status: 201,
      body: {
        ...resourceFields(accountSid, sid, 'Messages'),
        to,
        from,
        body,
        status: 'queued',
        num_segments: '1',
        num_media: '0',
        messaging_service_sid: null,
        error_code: null,
        error_message: null,
        price: null,
        price_unit: 'USD',
      },
    };
  }

  function createCall(form: URLSearchParams): TwilioAnswer {
    const to = form.get('To');
    const from = form.get('From');
    const twiml = form.get('Twiml');
    if (!to) return twilioError(400, 21201, "No 'To' number is specified");
    if (!from) return twilioError(400, 21213, "No 'From' number is specified");
    if (!twiml && !form.get('Url')) return twilioError(400, 21205, 'Url parameter is required.');
    calls.push({ to, from, twiml: twiml ?? '' });
    deliveries.push({ to, code: twiml ? codeInTwiml(twiml) : undefined });
    const sid = twilioSid('CA');
    return {
      status: 201,
      body: {
        ...resourceFields(accountSid, sid, 'Calls'),
        to,
        to_formatted: to,
        from,
        from_formatted: from,
        status: 'queued',
        start_time: null,
        end_time: null,
        duration: null,
        price: null,
        price_unit: 'USD',
      },
    };
  }

  const server = createServer((request, response) => {
    answer(request)
      .catch(() => twilioError(500, 20500, 'Internal Server Error'))
      .then((result) => {
        requests.push({ method: request.method ?? '', path: request.url ?? '', status: result.status });
        sendJson(response, result);
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    calls,
    requests,
    lastCodeFor(to) {
      for (let index = deliveries.length - 1; index >= 0; index -= 1) {
        const delivery = deliveries[index];
        if (delivery?.to === to) return delivery.code;
      }
      return undefined;
    },
    failNext(status) {
      pendingFailures.push(status);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}

function hasValidCredentials(header: string | undefined, accountSid: string, authToken: string): boolean {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (match === null) return false;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator >= 0 && decoded.slice(0, separator) === accountSid && decoded.slice(separator + 1) === authToken;
}

// Twilio reads fields only from form-encoded bodies; anything else arrives as no fields at all.
async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return new URLSearchParams(isForm ? Buffer.concat(chunks).toString('utf8') : '');
}

function codeInSms(body: string): string | undefined {
  return /(?<![0-9])[0-9]{6}(?![0-9])/.exec(body)?.[0];
}

/** The first run of six digits spoken one at a time ("4, 0, 2, 9, 1, 7") inside <Say>. */
function codeInTwiml(twiml: string): string | undefined {
  const spoken = [...twiml.matchAll(/<Say\b[^>]*>([^<]*)<\/Say>/g)].map((say) => unescapeXml(say[1] ?? '')).join(' ');
  const digits = /(?<![0-9])[0-9](?:[^0-9A-Za-z]+[0-9]){5}(?![0-9])/.exec(spoken)?.[0];
  return digits?.replace(/[^0-9]/g, '');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function twilioSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}

function resourceFields(accountSid: string, sid: string, collection: 'Messages' | 'Calls'): Record<string, unknown> {
  const now = new Date().toUTCString().replace('GMT', '+0000');
  return {
    sid,
    account_sid: accountSid,
    api_version: '2010-04-01',
    direction: 'outbound-api',
    date_created: now,
    date_updated: now,
    uri: `/2010-04-01/Accounts/${accountSid}/${collection}/${sid}.json`,
  };
}

function failureCode(status: number): number {
  if (status === 401) return 20003;
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  return status >= 500 ? 20500 : 21211;
}

function twilioError(status: number, code: number, message: string): TwilioAnswer {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

function sendJson(response: ServerResponse, { status, body }: TwilioAnswer): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}
