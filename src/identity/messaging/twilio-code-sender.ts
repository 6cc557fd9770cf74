import type { Channel } from '../phone.js';
import { otpSmsText, otpVoiceTwiml } from './code-messages.js';
import { CodeDeliveryError } from './code-sender.js';
import type { CodeMessage, CodeSender } from './code-sender.js';

export interface TwilioCodeSenderOptions {
  accountSid: string;
  authToken: string;
  /** The Twilio number (E.164) that sends the SMS and places the calls. */
  fromNumber: string;
  apiUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** Sends codes through Twilio's REST API: SMS via Messages.json, voice via Calls.json. */
export function createTwilioCodeSender(options: TwilioCodeSenderOptions): CodeSender {
  const { accountSid, authToken, fromNumber } = options;
  assertConfigured(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const accountUrl = `${(options.apiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}`;
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  async function post(channel: Channel, resource: string, form: URLSearchParams): Promise<void> {
    let response: Response;
    try {
      response = await fetchImpl(`${accountUrl}/${resource}`, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        // A redirect would be a misconfigured API URL; never replay credentials elsewhere.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unreachable(channel, error, timeoutMs);
    }
    if (!response.ok) throw await refused(channel, response);
    // Accepted: the body is not needed, and a failure to read it must not trigger a resend.
    await response.body?.cancel().catch(() => undefined);
  }

  return {
    async send(message: CodeMessage) {
      if (!E164.test(message.to)) {
        throw new CodeDeliveryError('The recipient is not an E.164 phone number.', { channel: message.channel });
      }
      if (message.channel === 'sms') {
        const body = otpSmsText(message.language, message.code);
        await post('sms', 'Messages.json', new URLSearchParams({ To: message.to, From: fromNumber, Body: body }));
      } else {
        const twiml = otpVoiceTwiml(message.language, message.code);
        await post('voice', 'Calls.json', new URLSearchParams({ To: message.to, From: fromNumber, Twiml: twiml }));
      }
    },
  };
}

function assertConfigured({ accountSid, authToken, fromNumber }: TwilioCodeSenderOptions): void {
  const missing = [
    accountSid ? undefined : 'TWILIO_ACCOUNT_SID',
    authToken ? undefined : 'TWILIO_AUTH_TOKEN',
    fromNumber ? undefined : 'TWILIO_FROM_NUMBER',
  ].filter((name) => name !== undefined);
  if (missing.length > 0) throw new Error(`Twilio is not configured: ${missing.join(', ')} missing.`);
  if (!E164.test(fromNumber)) throw new Error('TWILIO_FROM_NUMBER must be an E.164 number such as +41445551234.');
}

// Only the error's kind goes into the message: fetch errors quote the request URL.
function unreachable(channel: Channel, error: unknown, timeoutMs: number): CodeDeliveryError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new CodeDeliveryError(`Twilio did not answer the ${channel} request within ${timeoutMs} ms.`, { channel });
  }
  const systemCode = systemErrorCode(error);
  const detail = systemCode === undefined ? '' : ` (${systemCode})`;
  return new CodeDeliveryError(`Twilio could not be reached for the ${channel} request${detail}.`, { channel });
}

function systemErrorCode(error: unknown): string | undefined {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code: unknown = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

async function refused(channel: Channel, response: Response): Promise<CodeDeliveryError> {
  const providerCode = await twilioErrorCode(response);
  const detail = providerCode === undefined ? '' : `, Twilio error ${providerCode}`;
  return new CodeDeliveryError(`Twilio refused the ${channel} request (HTTP ${response.status}${detail}).`, {
    channel,
    status: response.status,
    providerCode,
  });
}

// Twilio answers errors with { code, message, more_info, status }. Only the numeric code is
// kept: the message can quote request fields such as the recipient's number.
async function twilioErrorCode(response: Response): Promise<number | undefined> {
  try {
    const body: unknown = await response.json();
    const code: unknown = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
    return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
