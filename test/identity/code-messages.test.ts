import { describe, expect, it } from 'vitest';
import { escapeXml, otpSmsText, otpVoiceTwiml } from '../../src/identity/messaging/code-messages.js';
import { createConsoleCodeSender } from '../../src/identity/messaging/console-code-sender.js';
import type { Language } from '../../src/identity/phone.js';

const LANGUAGES: Language[] = ['en', 'de', 'fr', 'it'];
const CODE = '402917';

// GSM 03.38 basic character set (without the escape-table characters).
const GSM_7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

function saidTexts(twiml: string): string[] {
  return [...twiml.matchAll(/<Say language="[^"]+">([^<]*)<\/Say>/g)].map((match) => match[1] ?? '');
}

describe('otpSmsText', () => {
  it('writes the English text', () => {
    expect(otpSmsText('en', CODE)).toBe('Your Pactum code is 402917. It expires in 10 minutes. Never share it with anyone.');
  });

  it.each([
    ['de', /Ihr Pactum-Code lautet 402917\..*10 Minuten/],
    ['fr', /Votre code Pactum est 402917\..*10 minutes/],
    ['it', /Il tuo codice Pactum è 402917\..*10 minuti/],
  ] as const)('writes the %s text', (language, pattern) => {
    expect(otpSmsText(language, CODE)).toMatch(pattern);
  });

  it.each(LANGUAGES)('keeps the %s text to one GSM-7 segment', (language) => {
    const text = otpSmsText(language, CODE);
    expect(text.length).toBeLessThanOrEqual(160);
    expect([...text].filter((character) => !GSM_7_BASIC.includes(character))).toEqual([]);
  });

  it.each(['12345', '1234567', '12345a', ' 123456', '١٢٣٤٥٦'])('refuses the code "%s"', (code) => {
    expect(() => otpSmsText('en', code)).toThrow('exactly 6 digits');
  });
});

describe('otpVoiceTwiml', () => {
  it('speaks the intro, then each digit singly, twice, in German', () => {
    const twiml = otpVoiceTwiml('de', CODE);
    expect(twiml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response>')).toBe(true);
    expect(twiml.endsWith('</Response>')).toBe(true);
    expect(saidTexts(twiml)).toEqual([
      'Guten Tag, hier ist Pactum. Ihr Code lautet:',
      '4, 0, 2, 9, 1, 7.',
      'Noch einmal: 4, 0, 2, 9, 1, 7.',
      'Auf Wiederhören.',
    ]);
    expect(twiml.match(/<Say language="de-DE">/g)).toHaveLength(4);
  });

  it.each([
    ['en', 'en-US', 'Again: 4, 0, 2, 9, 1, 7.'],
    ['fr', 'fr-FR', 'Je répète : 4, 0, 2, 9, 1, 7.'],
    ['it', 'it-IT', 'Ripeto: 4, 0, 2, 9, 1, 7.'],
  ] as const)('uses the %s locale %s', (language, locale, repetition) => {
    const twiml = otpVoiceTwiml(language, CODE);
    expect(twiml).toContain(`<Say language="${locale}">`);
    expect(twiml).not.toMatch(/<Say language="(?!\w\w-\w\w")/);
    expect(saidTexts(twiml)).toContain(repetition);
  });

  it('never puts the code as one number, which text-to-speech would read as "four hundred thousand…"', () => {
    expect(otpVoiceTwiml('en', CODE)).not.toContain(CODE);
  });

  it('refuses anything but six digits, so nothing unescaped can reach the document', () => {
    expect(() => otpVoiceTwiml('en', '12<34>')).toThrow('exactly 6 digits');
    expect(() => otpVoiceTwiml('en', '')).toThrow('exactly 6 digits');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });
});

describe('createConsoleCodeSender', () => {
  it('prints one line with the masked number, the channel and the code', async () => {
    const lines: string[] = [];
    const sender = createConsoleCodeSender((line) => lines.push(line));
    await sender.send({ to: '+41791234567', channel: 'voice', code: CODE, language: 'de' });
    expect(lines).toEqual(['[pactum] code for +41 •• ••• •• 67 by voice: 402917\n']);
    expect(lines[0]).not.toContain('791234567');
  });
});
