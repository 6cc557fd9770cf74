import type { Language } from '../phone.js';

const ONE_TIME_CODE = /^[0-9]{6}$/;

// Every character below is in the GSM 03.38 basic alphabet (ä, à, é, è included), so each
// SMS stays one 160-character segment instead of switching to 70-character UCS-2 parts.
const SMS_TEXT: Record<Language, (code: string) => string> = {
  en: (code) => `Your Pactum code is ${code}. It expires in 10 minutes. Never share it with anyone.`,
  de: (code) => `Ihr Pactum-Code lautet ${code}. Er läuft in 10 Minuten ab. Geben Sie ihn niemals weiter.`,
  fr: (code) => `Votre code Pactum est ${code}. Il expire dans 10 minutes. Ne le communiquez jamais à personne.`,
  it: (code) => `Il tuo codice Pactum è ${code}. Scade tra 10 minuti. Non condividerlo mai con nessuno.`,
};

interface VoiceScript {
  locale: string;
  intro: string;
  again: string;
  goodbye: string;
}

const VOICE_SCRIPT: Record<Language, VoiceScript> = {
  en: { locale: 'en-US', intro: 'Hello, this is Pactum. Your code is:', again: 'Again:', goodbye: 'Goodbye.' },
  de: { locale: 'de-DE', intro: 'Guten Tag, hier ist Pactum. Ihr Code lautet:', again: 'Noch einmal:', goodbye: 'Auf Wiederhören.' },
  fr: { locale: 'fr-FR', intro: 'Bonjour, ici Pactum. Votre code est :', again: 'Je répète :', goodbye: 'Au revoir.' },
  it: { locale: 'it-IT', intro: 'Buongiorno, qui Pactum. Il tuo codice è:', again: 'Ripeto:', goodbye: 'Arrivederci.' },
};

export function otpSmsText(language: Language, code: string): string {
  assertOneTimeCode(code);
  return SMS_TEXT[language](code);
}

/**
 * TwiML for a text-to-speech call that reads the code to a landline. The voice is left to the
 * Twilio account's default for each language (Console → Text-to-Speech), so it can be changed
 * without a release.
 */
export function otpVoiceTwiml(language: Language, code: string): string {
  assertOneTimeCode(code);
  const script = VOICE_SCRIPT[language];
  const say = (text: string) => `<Say language="${escapeXml(script.locale)}">${escapeXml(text)}</Say>`;
  const digits = spokenDigits(code);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Response>',
    // The first second of a call is often lost while the phone travels to the ear.
    '<Pause length="1"/>',
    say(script.intro),
    say(digits),
    '<Pause length="1"/>',
    say(`${script.again} ${digits}`),
    say(script.goodbye),
    '</Response>',
  ].join('');
}

/** "123456" → "1, 2, 3, 4, 5, 6.": separated, text-to-speech reads each digit on its own. */
function spokenDigits(code: string): string {
  return `${[...code].join(', ')}.`;
}

function assertOneTimeCode(code: string): void {
  // The value itself stays out of the message: it may be a real code.
  if (!ONE_TIME_CODE.test(code)) throw new Error('A one-time code must be exactly 6 digits.');
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => XML_ENTITIES[character] ?? character);
}
