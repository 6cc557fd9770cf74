import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otpSmsText } from '../../src/identity/messaging/code-messages.js';
import { CodeDeliveryError } from '../../src/identity/messaging/code-sender.js';
import { createTwilioCodeSender } from '../../src/identity/messaging/twilio-code-sender.js';
import { classifyPhone } from '../../src/identity/phone.js';
import { startFakeTwilio } from '../fakes/fake-twilio.js';
import type { FakeTwilio } from '../fakes/fake-twilio.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const FROM = '+41445550100';
const MOBILE = '+41791234567';
const LANDLINE = '+41446681800';
const CODE = '402917';

async function deliveryError(promise: Promise<unknown>): Promise<CodeDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CodeDeliveryError);
  return error as CodeDeliveryError;
}

function expectNoSecrets(message: string): void {
  expect(message).not.toContain(AUTH_TOKEN);
  expect(message).not.toContain(Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'));
  expect(message).not.toContain(CODE);
  expect(message).not.toContain('791234567');
}

describe('Twilio code sender against the fake Twilio', () => {
  let twilio: FakeTwilio;

  beforeEach(async () => {
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });

  afterEach(async () => {
    await twilio.close();
  });

  function sender(authToken = AUTH_TOKEN) {
    return createTwilioCodeSender({ accountSid: ACCOUNT_SID, authToken, fromNumber: FROM, apiUrl: twilio.url });
  }

  it('sends an SMS with To, From and Body to the Messages resource, authenticated', async () => {
    await sender().send({ to: MOBILE, channel: 'sms', code: CODE, language: 'de' });

    expect(twilio.messages).toEqual([{ to: MOBILE, from: FROM, body: otpSmsText('de', CODE) }]);
    expect(twilio.calls).toEqual([]);
    expect(twilio.requests).toEqual([{ method: 'POST', path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, status: 201 }]);
    expect(twilio.lastCodeFor(MOBILE)).toBe(CODE);
  });

  it('calls a Swiss landline and speaks the code digit by digit, twice, in German', async () => {
    const classified = classifyPhone(LANDLINE, '*');
    if (!classified.ok) throw new Error(classified.reason);
    const { e164, defaultChannel, language } = classified.phone;

    await sender().send({ to: e164, channel: defaultChannel, code: CODE, language });

    expect(twilio.messages).toEqual([]);
    expect(twilio.calls).toHaveLength(1);
    const call = twilio.calls[0];
    expect(call).toMatchObject({ to: LANDLINE, from: FROM });
    expect(call?.twiml).toContain('<Say language="de-DE">');
    expect(call?.twiml.match(/4, 0, 2, 9, 1, 7\./g)).toHaveLength(2);
    expect(call?.twiml).toContain('Noch einmal: 4, 0, 2, 9, 1, 7.');
    expect(twilio.lastCodeFor(LANDLINE)).toBe(CODE);
  });

  it('lastCodeFor follows the latest delivery across SMS and calls', async () => {
    await sender().send({ to: MOBILE, channel: 'sms', code: '111111', language: 'en' });
    await sender().send({ to: MOBILE, channel: 'voice', code: '222222', language: 'en' });
    expect(twilio.lastCodeFor(MOBILE)).toBe('222222');
    expect(twilio.lastCodeFor(LANDLINE)).toBeUndefined();
  });

  it('turns a wrong token into a CodeDeliveryError that reveals neither token nor code', async () => {
    const error = await deliveryError(sender('wrong-token-0000').send({ to: MOBILE, channel: 'sms', code: CODE, language: 'en' }));

    expect(error.status).toBe(401);
    expect(error.providerCode).toBe(20003);
    expect(error.message).toContain('401');
    expect(error.message).not.toContain('wrong-token-0000');
    expectNoSecrets(error.message);
    expect(twilio.messages).toEqual([]);
  });

  it('turns an injected 500 into a CodeDeliveryError, and the next send goes through', async () => {
    twilio.failNext(500);
    const error = await deliveryError(sender().send({ to: LANDLINE, channel: 'voice', code: CODE, language: 'de' }));

    expect(error.status).toBe(500);
    expect(error.channel).toBe('voice');
    expectNoSecrets(error.message);
    expect(twilio.calls).toEqual([]);

    await sender().send({ to: LANDLINE, channel: 'voice', code: CODE, language: 'de' });
    expect(twilio.calls).toHaveLength(1);
  });

  it('encodes the account SID in the path', async () => {
    const strangeSid = 'AC/../x y';
    const strange = await startFakeTwilio({ accountSid: strangeSid, authToken: AUTH_TOKEN });
    try {
      const client = createTwilioCodeSender({
        accountSid: strangeSid,
        authToken: AUTH_TOKEN,
        fromNumber: FROM,
        apiUrl: strange.url,
      });
      await client.send({ to: MOBILE, channel: 'sms', code: CODE, language: 'en' });
      expect(strange.requests[0]?.path).toBe('/2010-04-01/Accounts/AC%2F..%2Fx%20y/Messages.json');
      expect(strange.messages).toHaveLength(1);
    } finally {
      await strange.close();
    }
  });
});

describe('Twilio code sender when Twilio cannot be reached', () => {
  it('reports a closed port as a CodeDeliveryError', async () => {
    const closed = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    await closed.close();
    const sender = createTwilioCodeSender({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      fromNumber: FROM,
      apiUrl: closed.url,
    });

    const error = await deliveryError(sender.send({ to: MOBILE, channel: 'sms', code: CODE, language: 'en' }));
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/could not be reached/);
    expect(error.message).not.toContain(ACCOUNT_SID);
    expectNoSecrets(error.message);
  });

  it('gives up after the timeout', async () => {
    const hangingFetch: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const sender = createTwilioCodeSender({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      fromNumber: FROM,
      fetch: hangingFetch,
      timeoutMs: 50,
    });

    const error = await deliveryError(sender.send({ to: MOBILE, channel: 'voice', code: CODE, language: 'en' }));
    expect(error.message).toBe('Twilio did not answer the voice request within 50 ms.');
  });

  it('refuses to start without credentials', () => {
    expect(() => createTwilioCodeSender({ accountSid: ACCOUNT_SID, authToken: '', fromNumber: FROM })).toThrow('TWILIO_AUTH_TOKEN');
  });
});
