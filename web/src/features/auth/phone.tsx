import { Group, Select, Text, TextInput } from '@mantine/core';
import type { GetInputPropsReturnType } from '@mantine/form';
import type { TFunction } from 'i18next';
import { getCountries, getCountryCallingCode, parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Phone numbers as the server takes them (src/identity/phone.ts): valid for their country, and a mobile or
 * fixed line (a code goes by SMS or by a call); VoIP, premium-rate, toll-free and the like are refused.
 * The user picks the country and types the national number; the form sends the E.164 number.
 */
const REACHABLE_TYPES = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE']);
const TYPED = /^\+?[0-9 ().-]+$/;

export type PhoneCheck = { ok: true; e164: string; international: string } | { ok: false; key: string };

export function checkPhone(country: string, national: string): PhoneCheck {
  const typed = national.trim();
  if (typed === '') return { ok: false, key: 'required' };
  if (typed.length > 32 || !TYPED.test(typed)) return { ok: false, key: 'characters' };
  try {
    const number = typed.startsWith('+')
      ? parsePhoneNumberWithError(typed)
      : parsePhoneNumberWithError(typed, { defaultCountry: country as CountryCode });
    if (!number.isValid()) return { ok: false, key: 'invalid' };
    if (!REACHABLE_TYPES.has(number.getType() ?? '')) return { ok: false, key: 'type' };
    if (number.country === undefined) return { ok: false, key: 'invalid' };
    return { ok: true, e164: number.number, international: number.formatInternational() };
  } catch (error) {
    if (error instanceof ParseError && (error.message === 'TOO_SHORT' || error.message === 'TOO_LONG'))
      return { ok: false, key: error.message === 'TOO_SHORT' ? 'too_short' : 'too_long' };
    return { ok: false, key: 'invalid' };
  }
}

export function phoneError(country: string, national: string, t: TFunction<'auth'>): string | null {
  const checked = checkPhone(country, national);
  return checked.ok ? null : t(`phone.error.${checked.key}`);
}

/** The browser's own region when we know it (de-CH → CH), else Switzerland, where Pactum starts. */
export function defaultCountry(): string {
  const countries = new Set<string>(getCountries());
  for (const tag of navigator.languages ?? [navigator.language]) {
    const region = tag.split('-')[1]?.toUpperCase();
    if (region && countries.has(region)) return region;
  }
  return 'CH';
}

function useCountryOptions() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  return useMemo(() => {
    const names = new Intl.DisplayNames([language], { type: 'region' });
    return getCountries()
      .map((code) => ({ value: code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})` }))
      .sort((a, b) => a.label.localeCompare(b.label, language));
  }, [language]);
}

/**
 * The country picker and the national number side by side (stacked on a phone), with the number the code
 * will go to, in international form, once it is valid.
 */
export function PhoneFields({
  country,
  onCountryChange,
  nationalInput,
  label,
}: {
  country: string;
  onCountryChange: (country: string) => void;
  /** The national number's input props, e.g. `form.getInputProps('phoneNational')`. */
  nationalInput: GetInputPropsReturnType;
  label?: string;
}) {
  const { t } = useTranslation('auth');
  const options = useCountryOptions();
  const checked = checkPhone(country, typeof nationalInput.value === 'string' ? nationalInput.value : '');
  return (
    <div>
      <Group gap="sm" align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
        <Select
          label={t('phone.country')}
          data={options}
          value={country}
          onChange={(value) => value && onCountryChange(value)}
          searchable
          allowDeselect={false}
          miw={180}
          comboboxProps={{ withinPortal: true }}
        />
        <TextInput label={label ?? t('phone.number')} type="tel" autoComplete="tel-national" inputMode="tel" miw={160} {...nationalInput} />
      </Group>
      <Text size="sm" c="gray.7" mt={4} aria-live="polite">
        {checked.ok ? t('phone.willReceive', { phone: checked.international }) : t('phone.hint')}
      </Text>
    </div>
  );
}
