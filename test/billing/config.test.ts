import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const STRIPE_ENV = {
  STRIPE_SECRET_KEY: 'sk_live_51Hpactum0000000000000000',
  STRIPE_WEBHOOK_SECRET: 'whsec_pactum00000000000000000000',
  STRIPE_PRICE_ID: 'price_1PactumSeat',
};

const base = () => ({
  PACTUM_DATA_DIR: mkdtempSync(join(tmpdir(), 'pactum-billing-config-')),
  PACTUM_MASTER_KEY: randomBytes(32).toString('base64'),
});

const production = () => ({
  ...base(),
  NODE_ENV: 'production',
  PACTUM_PUBLIC_URL: 'https://pactum.example.com',
  PACTUM_SMS_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: 'ACtest0000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'twilio-secret-token-7f3a9c',
  TWILIO_FROM_NUMBER: '+15005550006',
  PACTUM_SMTP_URL: 'smtp://mailer:smtp-secret-pass@mail.example.com:587',
});

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('billing configuration', () => {
  it('is off without any Stripe variable, and on with all three (Stripe itself by default)', () => {
    expect(loadConfig(base()).billing).toBeNull();
    const billing = loadConfig({ ...production(), ...STRIPE_ENV }).billing;
    expect(billing).toMatchObject({ secretKey: STRIPE_ENV.STRIPE_SECRET_KEY, priceId: STRIPE_ENV.STRIPE_PRICE_ID });
    expect(billing!.apiUrl.href).toBe('https://api.stripe.com/');
  });

  it('refuses some but not all of the three, in production and elsewhere, naming what is missing and no value', () => {
    for (const env of [production(), base()]) {
      const message = refusal({ ...env, STRIPE_SECRET_KEY: STRIPE_ENV.STRIPE_SECRET_KEY, STRIPE_PRICE_ID: STRIPE_ENV.STRIPE_PRICE_ID });
      expect(message).toContain('without STRIPE_WEBHOOK_SECRET');
      expect(message).not.toContain(STRIPE_ENV.STRIPE_SECRET_KEY);
      expect(refusal({ ...env, STRIPE_WEBHOOK_SECRET: STRIPE_ENV.STRIPE_WEBHOOK_SECRET })).toContain(
        'without STRIPE_SECRET_KEY, STRIPE_PRICE_ID',
      );
    }
  });

  it('refuses values that are not Stripe keys, secrets or prices, without echoing secrets', () => {
    const wrongKey = refusal({ ...base(), ...STRIPE_ENV, STRIPE_SECRET_KEY: 'pk_live_publishableKey000000' });
    expect(wrongKey).toContain('STRIPE_SECRET_KEY');
    expect(wrongKey).not.toContain('publishableKey');
    expect(refusal({ ...base(), ...STRIPE_ENV, STRIPE_WEBHOOK_SECRET: 'secret' })).toContain('whsec_');
    expect(refusal({ ...base(), ...STRIPE_ENV, STRIPE_PRICE_ID: 'prod_123456' })).toContain('STRIPE_PRICE_ID');
  });

  it('takes PACTUM_STRIPE_API_URL as an origin, and production refuses it over plain http', () => {
    expect(loadConfig({ ...base(), ...STRIPE_ENV, PACTUM_STRIPE_API_URL: 'http://127.0.0.1:12111' }).billing!.apiUrl.port).toBe('12111');
    expect(refusal({ ...base(), ...STRIPE_ENV, PACTUM_STRIPE_API_URL: 'https://stripe.example/v1' })).toContain('without a path');
    expect(refusal({ ...production(), ...STRIPE_ENV, PACTUM_STRIPE_API_URL: 'http://stripe-proxy.internal' })).toContain('https');
  });
});
