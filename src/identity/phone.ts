import { ParseError, isSupportedCountry, parsePhoneNumberFromString, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { PhoneNumber, PhoneNumberType } from 'libphonenumber-js/max';

export type Language = 'en' | 'de' | 'fr' | 'it';
export type Channel = 'sms' | 'voice';

/** The number types that can take a one-time code; every other type is refused. */
export type ReachableNumberType = 'MOBILE' | 'FIXED_LINE' | 'FIXED_LINE_OR_MOBILE';

export interface ClassifiedPhone {
  e164: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  numberType: ReachableNumberType;
  defaultChannel: Channel;
  channels: Channel[];
  language: Language;
}

export type PhoneRejectionCode = 'invalid_phone' | 'unsupported_country';

export type PhoneClassification = { ok: true; phone: ClassifiedPhone } | { ok: false; code: PhoneRejectionCode; reason: string };

export type AllowedCountries = '*' | ReadonlySet<string>;

const MAX_INPUT_LENGTH = 32;

// ASCII only: libphonenumber would otherwise accept vanity letters ("+1 800 FLOWERS"),
// extensions and non-Latin digits, none of which a code can be sent to as typed.
const INTERNATIONAL_INPUT = /^\+[0-9 ().-]+$/;

const CHANNELS_BY_TYPE: Record<ReachableNumberType, { defaultChannel: Channel; channels: readonly Channel[] }> = {
  MOBILE: { defaultChannel: 'sms', channels: ['sms', 'voice'] },
  // A landline cannot take SMS; the code is read out by a text-to-speech call.
  FIXED_LINE: { defaultChannel: 'voice', channels: ['voice'] },
  // The metadata cannot tell mobile from fixed line (US, CA, …). Most such numbers
  // people give for login are mobiles, so try SMS first; a voice call stays available on resend.
  FIXED_LINE_OR_MOBILE: { defaultChannel: 'sms', channels: ['sms', 'voice'] },
};

// Numbers that are cheap to obtain anonymously, forward elsewhere, or cost the sender money
// make a weak second factor or an SMS-pumping target, so they are refused outright.
const REFUSED_TYPE_REASONS: Partial<Record<PhoneNumberType, string>> = {
  VOIP: 'Internet (VoIP) numbers cannot receive codes.',
  PREMIUM_RATE: 'Premium-rate numbers cannot receive codes.',
  SHARED_COST: 'Shared-cost numbers cannot receive codes.',
  TOLL_FREE: 'Toll-free numbers cannot receive codes.',
  PERSONAL_NUMBER: 'Personal (call-forwarding) numbers cannot receive codes.',
  PAGER: 'Pager numbers cannot receive codes.',
  UAN: 'Company switchboard numbers cannot receive codes.',
  VOICEMAIL: 'Voicemail access numbers cannot receive codes.',
};

const LANGUAGE_BY_COUNTRY: Readonly<Record<string, Language>> = {
  DE: 'de',
  AT: 'de',
  LI: 'de',
  // Switzerland: German is the majority language and the number does not reveal the canton.
  CH: 'de',
  FR: 'fr',
  BE: 'fr',
  LU: 'fr',
  MC: 'fr',
  IT: 'it',
  SM: 'it',
  VA: 'it',
};

export function languageForCountry(country: string): Language {
  return LANGUAGE_BY_COUNTRY[country.toUpperCase()] ?? 'en';
}

export function classifyPhone(input: string, allowedCountries: AllowedCountries): PhoneClassification {
  const parsed = parseInternationalNumber(input);
  if (!parsed.ok) return parsed;
  const number = parsed.number;
  if (!number.isValid()) {
    return invalid('This is not a valid phone number for its country.');
  }
  const numberType = number.getType();
  if (!isReachableType(numberType)) {
    return invalid(refusedTypeReason(numberType));
  }
  const country = number.country;
  if (country === undefined) {
    // +800, +870, +881, …: international services and satellite networks belong to no country.
    return unsupportedCountry('Numbers of international or satellite networks are not supported.');
  }
  if (allowedCountries !== '*' && !allowedCountries.has(country)) {
    return unsupportedCountry(`Codes cannot be sent to phone numbers from ${country}.`);
  }
  const { defaultChannel, channels } = CHANNELS_BY_TYPE[numberType];
  return {
    ok: true,
    phone: {
      e164: number.number,
      country,
      numberType,
      defaultChannel,
      channels: [...channels],
      language: languageForCountry(country),
    },
  };
}

function parseInternationalNumber(input: string): { ok: true; number: PhoneNumber } | { ok: false; code: 'invalid_phone'; reason: string } {
  if (input.length > MAX_INPUT_LENGTH) {
    return invalid(`A phone number has at most ${MAX_INPUT_LENGTH} characters.`);
  }
  const trimmed = input.trim();
  if (!trimmed.startsWith('+')) {
    return invalid('Enter the phone number in international format, starting with + and the country code.');
  }
  if (!INTERNATIONAL_INPUT.test(trimmed)) {
    return invalid('After the +, a phone number may contain only digits, spaces, brackets, dots and hyphens.');
  }
  try {
    return { ok: true, number: parsePhoneNumberWithError(trimmed, { extract: false }) };
  } catch (error) {
    if (error instanceof ParseError) return invalid(parseErrorReason(error.message));
    throw error;
  }
}

function parseErrorReason(parseErrorMessage: string): string {
  switch (parseErrorMessage) {
    case 'INVALID_COUNTRY':
      return 'This country calling code does not exist.';
    case 'TOO_SHORT':
      return 'This phone number is too short.';
    case 'TOO_LONG':
      return 'This phone number is too long.';
    default:
      return 'This is not a phone number.';
  }
}

function isReachableType(type: PhoneNumberType | undefined): type is ReachableNumberType {
  return type === 'MOBILE' || type === 'FIXED_LINE' || type === 'FIXED_LINE_OR_MOBILE';
}

function refusedTypeReason(type: PhoneNumberType | undefined): string {
  if (type === undefined) return 'The kind of this phone number is unknown, so codes cannot be sent to it.';
  return REFUSED_TYPE_REASONS[type] ?? 'This kind of phone number cannot receive codes.';
}

function invalid(reason: string): { ok: false; code: 'invalid_phone'; reason: string } {
  return { ok: false, code: 'invalid_phone', reason };
}

function unsupportedCountry(reason: string): { ok: false; code: 'unsupported_country'; reason: string } {
  return { ok: false, code: 'unsupported_country', reason };
}

/** Parses PACTUM_OTP_COUNTRIES: "*" or a comma-separated list of ISO 3166-1 alpha-2 codes. */
export function parseAllowedCountries(value: string): AllowedCountries {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tokens = trimmed
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (tokens.length === 0) {
    throw new Error('PACTUM_OTP_COUNTRIES is empty: use "*" or country codes such as "CH,DE,AT".');
  }
  return new Set(tokens.map(parseCountryToken));
}

function parseCountryToken(token: string): string {
  if (!/^[A-Za-z]{2}$/.test(token)) {
    throw new Error(
      `PACTUM_OTP_COUNTRIES contains "${token}", which is not a two-letter ISO country code (use "*" alone or a list such as "CH,DE,AT").`,
    );
  }
  const country = token.toUpperCase();
  if (!isSupportedCountry(country)) {
    // "UK" is the usual slip: the ISO code of the United Kingdom is GB.
    const hint = country === 'UK' ? ' (the United Kingdom is "GB")' : '';
    throw new Error(`PACTUM_OTP_COUNTRIES contains "${token}", which is not a known country code${hint}.`);
  }
  return country;
}

const MASK = '•';
const REVEALED_DIGITS = 2;
// A national number this short would be largely given away by its last two digits.
const SHORTEST_NATIONAL_NUMBER_TO_REVEAL = 5;

/**
 * "+41791234567" → "+41 •• ••• •• 67": enough for a user to recognise their phone,
 * too little to learn the number from a challenge response or a screenshot.
 */
export function phoneHint(e164: string): string {
  const number = parsePhoneNumberFromString(e164);
  if (number === undefined) {
    const digits = e164.replace(/[^0-9]/g, '');
    return `+${maskAllButLastDigits(digits, digits.length >= SHORTEST_NATIONAL_NUMBER_TO_REVEAL ? REVEALED_DIGITS : 0)}`;
  }
  const callingCode = `+${number.countryCallingCode}`;
  // Built from the bare E.164 so that an extension can never appear in the hint.
  const grouped = parsePhoneNumberFromString(number.number)?.formatInternational() ?? number.number;
  const nationalPart = grouped.startsWith(callingCode) ? grouped.slice(callingCode.length) : number.nationalNumber;
  const revealed = number.nationalNumber.length >= SHORTEST_NATIONAL_NUMBER_TO_REVEAL ? REVEALED_DIGITS : 0;
  return callingCode + maskAllButLastDigits(nationalPart, revealed);
}

function maskAllButLastDigits(text: string, revealed: number): string {
  let digitsSeen = 0;
  const characters = [...text].reverse().map((character) => {
    if (!/[0-9]/.test(character)) return character;
    digitsSeen += 1;
    return digitsSeen <= revealed ? character : MASK;
  });
  return characters.reverse().join('');
}
