export const LANGUAGES = ['en', 'de', 'fr', 'it'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch', fr: 'Français', it: 'Italiano' };

const STORAGE_KEY = 'pactum.language';

function isLanguage(value: string | null | undefined): value is Language {
  return (LANGUAGES as readonly string[]).includes(value ?? '');
}

/** The user's remembered choice, else the first of the browser's languages we speak, else English. */
export function initialLanguage(): Language {
  const remembered = localStorage.getItem(STORAGE_KEY);
  if (isLanguage(remembered)) return remembered;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export function rememberLanguage(language: Language) {
  localStorage.setItem(STORAGE_KEY, language);
}

/**
 * The locale numbers and dates are formatted in: the browser's own regional variant when it speaks the
 * chosen language (de-CH gives 1'234.50), otherwise the language with Switzerland's conventions for
 * German, the market Pactum starts in, and the language alone for the others.
 */
export function formattingLocale(language: Language): string {
  const regional = (navigator.languages ?? [navigator.language]).find((tag) => tag.toLowerCase().split('-')[0] === language);
  if (regional && regional.includes('-')) return regional;
  return language === 'de' ? 'de-CH' : language;
}
