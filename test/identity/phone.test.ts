import { describe, expect, it } from 'vitest';
import { classifyPhone, languageForCountry, parseAllowedCountries, phoneHint } from '../../src/identity/phone.js';
import type { ClassifiedPhone, PhoneClassification } from '../../src/identity/phone.js';

function accepted(result: PhoneClassification): ClassifiedPhone {
  if (!result.ok) throw new Error(`expected the number to be accepted, got ${result.code}: ${result.reason}`);
  return result.phone;
}

describe('classifyPhone', () => {
  it('sends SMS to a Swiss mobile and offers a call as well', () => {
    expect(accepted(classifyPhone('+41 79 123 45 67', '*'))).toEqual({
      e164: '+41791234567',
      country: 'CH',
      numberType: 'MOBILE',
      defaultChannel: 'sms',
      channels: ['sms', 'voice'],
      language: 'de',
    });
  });

  it('calls a Swiss landline, which cannot take SMS', () => {
    const phone = accepted(classifyPhone('+41446681800', '*'));
    expect(phone.numberType).toBe('FIXED_LINE');
    expect(phone.defaultChannel).toBe('voice');
    expect(phone.channels).toEqual(['voice']);
  });

  it('tries SMS first for an ambiguous US number and keeps voice for the resend', () => {
    const phone = accepted(classifyPhone('+1 (202) 555-0123', '*'));
    expect(phone).toMatchObject({
      e164: '+12025550123',
      country: 'US',
      numberType: 'FIXED_LINE_OR_MOBILE',
      defaultChannel: 'sms',
      language: 'en',
    });
    expect(phone.channels).toEqual(['sms', 'voice']);
  });

  it('refuses a premium-rate number with a reason', () => {
    expect(classifyPhone('+41900123456', '*')).toEqual({
      ok: false,
      code: 'invalid_phone',
      reason: 'Premium-rate numbers cannot receive codes.',
    });
  });

  it('refuses a toll-free number', () => {
    const result = classifyPhone('+41800123456', '*');
    expect(result).toMatchObject({ ok: false, code: 'invalid_phone' });
    expect(!result.ok && result.reason).toMatch(/toll-free/i);
  });

  it.each([
    ['a number too short for its plan', '+4179123'],
    ['an unassigned country calling code', '+999123456789'],
    ['text that is no number', '+hello'],
    ['an empty string', ''],
    ['vanity letters', '+1 800 FLOWERS'],
    ['input longer than 32 characters', `+41 79 123 45 67${' '.repeat(20)}`],
  ])('refuses %s as invalid_phone', (_label, input) => {
    const result = classifyPhone(input, '*');
    expect(result).toMatchObject({ ok: false, code: 'invalid_phone' });
    expect(!result.ok && result.reason.length).toBeGreaterThan(10);
  });

  it.each(['0791234567', '0041791234567', '41791234567'])('asks for international format when %s lacks the +', (input) => {
    const result = classifyPhone(input, '*');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe('invalid_phone');
    expect(!result.ok && result.reason).toMatch(/international format/);
  });

  it('refuses a country outside the allow-list, accepts one inside it', () => {
    const allowed = parseAllowedCountries('CH,DE,AT');
    expect(classifyPhone('+12025550123', allowed)).toMatchObject({ ok: false, code: 'unsupported_country' });
    expect(classifyPhone('+41791234567', allowed).ok).toBe(true);
  });

  it('refuses satellite numbers, which belong to no country, even with "*"', () => {
    expect(classifyPhone('+881612345678', '*')).toMatchObject({ ok: false, code: 'unsupported_country' });
  });
});

describe('language from the country', () => {
  it.each([
    ['+4915112345678', 'de'],
    ['+33612345678', 'fr'],
    ['+390612345678', 'it'],
    ['+442079460958', 'en'],
  ] as const)('%s hears %s', (input, language) => {
    expect(accepted(classifyPhone(input, '*')).language).toBe(language);
  });

  it.each([
    ['DE', 'de'],
    ['AT', 'de'],
    ['LI', 'de'],
    ['CH', 'de'],
    ['FR', 'fr'],
    ['BE', 'fr'],
    ['LU', 'fr'],
    ['MC', 'fr'],
    ['IT', 'it'],
    ['SM', 'it'],
    ['VA', 'it'],
    ['US', 'en'],
    ['NL', 'en'],
  ] as const)('%s → %s', (country, language) => {
    expect(languageForCountry(country)).toBe(language);
  });
});

describe('parseAllowedCountries', () => {
  it('reads "*" as every country', () => {
    expect(parseAllowedCountries(' * ')).toBe('*');
  });

  it('reads a list case-insensitively and tolerates whitespace', () => {
    expect(parseAllowedCountries(' ch , de,At ')).toEqual(new Set(['CH', 'DE', 'AT']));
  });

  it.each(['CHE', 'C', 'C1', '*,CH', 'ch;de'])('rejects the token in "%s"', (value) => {
    expect(() => parseAllowedCountries(value)).toThrow(/not a two-letter ISO country code/);
  });

  it('rejects an empty list and unknown codes', () => {
    expect(() => parseAllowedCountries(' , ')).toThrow(/empty/);
    expect(() => parseAllowedCountries('CH,UK')).toThrow(/"GB"/);
  });
});

describe('phoneHint', () => {
  it('masks a Swiss mobile down to the calling code and the last two digits', () => {
    expect(phoneHint('+41791234567')).toBe('+41 •• ••• •• 67');
  });

  it('reveals only the last two digits of a US number', () => {
    const hint = phoneHint('+12025550123');
    expect(hint).toBe('+1 ••• ••• ••23');
    expect(hint.slice('+1'.length).replace(/[^0-9]/g, '')).toBe('23');
  });

  it.each([
    ['+4915112345678', '+49'],
    ['+33612345678', '+33'],
    ['+390612345678', '+39'],
    ['+442079460958', '+44'],
    ['+41446681800', '+41'],
  ])('shows %s with its calling code and no more than two national digits', (e164, callingCode) => {
    const hint = phoneHint(e164);
    expect(hint.startsWith(`${callingCode} `)).toBe(true);
    expect(hint.slice(callingCode.length).replace(/[^0-9]/g, '')).toBe(e164.slice(-2));
    expect(hint).toContain('•');
  });
});
