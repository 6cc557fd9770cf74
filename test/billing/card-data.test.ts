import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeEvent } from '../fakes/fake-stripe.js';
import { addMember } from '../helpers/members.js';
import { registerCompany } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { postEvent, quantitySentToStripe, startBillingApp, subscribe, type BillingTestApp } from './helpers.js';

/**
 * Promise 7: no card number ever reaches Pactum's responses, logs or database. "Shaped like a card
 * number": 13–19 digits (single spaces or dashes between them allowed) standing alone — not inside a
 * longer run of letters, digits or dashes such as a hex id or a UUID, nor the fraction of a decimal — starting in a card network's
 * range (Visa 4, Mastercard 51–55 and 22–27, Amex 34/37, Diners 30/36/38, Discover/UnionPay 6, JCB 35)
 * and passing the Luhn check.
 */
const CANDIDATE = /(?<![0-9A-Za-z_.-])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z_-]|\.\d)/g;
const NETWORK = /^(4|5[1-5]|2[2-7]|3[0-8]|6)/;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

export function cardNumbersIn(text: string): string[] {
  return [...text.matchAll(CANDIDATE)]
    .map((match) => match[0].replace(/[ -]/g, ''))
    .filter((digits) => digits.length >= 13 && digits.length <= 19 && NETWORK.test(digits) && luhnValid(digits));
}

describe('the card-number detector', () => {
  it('finds card numbers however they are written, and leaves ids, times and phone numbers alone', () => {
    expect(cardNumbersIn('{"number":"4242424242424242"}')).toEqual(['4242424242424242']);
    expect(cardNumbersIn('card 4111 1111 1111 1111 exp 12/34')).toEqual(['4111111111111111']);
    expect(cardNumbersIn('mc=5555-5555-5555-4444;amex=378282246310005')).toEqual(['5555555555554444', '378282246310005']);
    expect(cardNumbersIn('4242424242424241')).toEqual([]); // fails Luhn
    expect(cardNumbersIn('"time":1764489600000,"phone":"+41791234567","responseTime":84.69704499999352')).toEqual([]);
    expect(cardNumbersIn('paid with 4242424242424242.')).toEqual(['4242424242424242']);
    expect(cardNumbersIn('cus_4242424242424242aa 123e4567-e89b-12d3-a456-426614174000 evt_x4242424242424242')).toEqual([]);
  });
});

describe(`no card number in anything billing writes or answers (${engineName})`, () => {
  let b: BillingTestApp;
  const bodies: string[] = [];
  beforeAll(async () => {
    b = await startBillingApp((app) =>
      app.addHook('onSend', async (_request, reply, payload) => {
        bodies.push(
          `${JSON.stringify(reply.getHeaders())}\n${typeof payload === 'string' || Buffer.isBuffer(payload) ? String(payload) : ''}`,
        );
        return payload;
      }),
    );
  });
  afterAll(() => b.close());

  it('runs the billing flows, then finds none in responses, log lines, text columns or what went to Stripe', async () => {
    const company = await registerCompany(b.t);
    const member = await addMember(b.t, company);
    await company.client.get('/api/v1/billing');
    await member.client.get('/api/v1/me');
    const subscription = await subscribe(b, company.client);
    expect((await company.client.post(`/api/v1/users/${member.userId}/revoke`, {})).statusCode).toBe(200);
    await quantitySentToStripe(b.stripe, subscription.id, 1);
    await company.client.post('/api/v1/billing/portal');

    // Stripe's own payloads name the card only by brand and last 4; this one also carries a full test
    // card number where a careless integration might copy it from (a description), and it must go nowhere.
    const invoice = {
      ...b.stripe.invoice(subscription.id, 'open'),
      description: 'card 4242 4242 4242 4242 declined',
      payment_settings: { payment_method_types: ['card'] },
      last_payment_error: { payment_method: { card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 } } },
    };
    expect((await postEvent(b.t, stripeEvent('invoice.payment_failed', invoice))).statusCode).toBe(200);
    expect((await postEvent(b.t, stripeEvent('invoice.paid', b.stripe.invoice(subscription.id, 'paid')))).statusCode).toBe(200);
    expect((await postEvent(b.t, stripeEvent('invoice.paid', invoice), { secret: 'whsec_wrongSecret00000000000' })).statusCode).toBe(400);
    await company.client.get('/api/v1/audit-events');
    await company.client.get('/api/v1/billing');

    const columns = await b.t.db.asOwner<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
          AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`,
    );
    expect(columns.map((column) => `${column.table_name}.${column.column_name}`)).toEqual(
      expect.arrayContaining(['billing_accounts.stripe_customer_id', 'audit_events.details', 'billing_webhook_events.event_id']),
    );
    const stored: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const rows = await b.t.db.asOwner<{ value: string }>(
        `SELECT "${column}"::text AS value FROM "${table}" WHERE "${column}" IS NOT NULL`,
      );
      stored.push(...rows.map((row) => `${table}.${column}: ${row.value}`));
    }
    const sentToStripe = b.stripe.requests.map((request) => `${request.method} ${request.path} ${request.rawBody}`);

    // The flows produced what is being searched (an empty haystack would find nothing).
    expect(bodies.some((body) => body.includes('checkout.stripe.com'))).toBe(true);
    expect(b.t.logs.some((line) => line.includes('Stripe event received'))).toBe(true);
    expect(stored.some((value) => value.includes('billing.payment_failed'))).toBe(true);
    expect(sentToStripe.length).toBeGreaterThan(4);

    const found = [
      ...bodies.map((text) => ['response', text] as const),
      ...b.t.logs.map((text) => ['log', text] as const),
      ...stored.map((text) => ['database', text] as const),
      ...sentToStripe.map((text) => ['sent to Stripe', text] as const),
    ].flatMap(([where, text]) => cardNumbersIn(text).map((number) => `${where}: …${number.slice(-4)} in ${text.slice(0, 200)}`));
    expect(found).toEqual([]);
  });
});
