import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formattingLocale, type Language } from './languages';

export type DeadlineLevel = 'passed' | 'soon' | 'later';

/** Days from today (local calendar) to a YYYY-MM-DD date; negative once passed. */
export function daysUntil(date: string, today = new Date()): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const target = Date.UTC(year, month - 1, day);
  const start = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((target - start) / 86_400_000);
}

/** UI.md: 30 days or less is a warning, passed is an error. */
export function deadlineLevel(daysLeft: number): DeadlineLevel {
  if (daysLeft < 0) return 'passed';
  return daysLeft <= 30 ? 'soon' : 'later';
}

/**
 * The decimals worth showing: the API answers money with 4 fixed decimals ("155391.0000"), so trailing
 * zeros are padding, not what the user entered.
 */
function fractionDigits(amount: string): number {
  const fraction = (amount.split('.')[1] ?? '').replace(/0+$/, '');
  return Math.min(fraction.length, 4);
}

/**
 * Formatting per the user's language with Intl. Money is formatted from its decimal string (Intl formats
 * strings exactly, no float rounding), with the decimals the user entered, up to 4, and never fewer than
 * the currency's own.
 */
export function createFormatters(language: Language) {
  const locale = formattingLocale(language);
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const integerFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  return {
    locale,
    money(amount: string, currency: string): string {
      const standard = new Intl.NumberFormat(locale, { style: 'currency', currency }).resolvedOptions().minimumFractionDigits ?? 2;
      const digits = Math.max(standard, fractionDigits(amount));
      const format = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
      return format.format(amount as unknown as number); // Intl.NumberFormat accepts decimal strings exactly.
    },
    decimal(amount: string): string {
      const digits = fractionDigits(amount);
      return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: 4 }).format(amount as unknown as number);
    },
    integer: (value: number) => integerFormat.format(value),
    /** A calendar date (YYYY-MM-DD) as the user reads dates; no time zone shift. */
    date: (date: string) => dateFormat.format(new Date(`${date}T00:00:00Z`)),
    dateTime: (timestamp: string) => dateTimeFormat.format(new Date(timestamp)),
  };
}

export type Formatters = ReturnType<typeof createFormatters>;

export function useFormatters(): Formatters {
  const { i18n } = useTranslation();
  const language = (i18n.resolvedLanguage ?? 'en') as Language;
  return useMemo(() => createFormatters(language), [language]);
}
