import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { initialLanguage, LANGUAGES, rememberLanguage, type Language } from './languages';

/**
 * Catalogues live in locales/<language>/<namespace>.json, one namespace per area of the app. English is
 * bundled (it is the fallback for any key a catalogue leaves empty); the others load when chosen.
 */
const english = import.meta.glob<Record<string, unknown>>('./locales/en/*.json', { eager: true, import: 'default' });
const others = import.meta.glob<Record<string, unknown>>(['./locales/*/*.json', '!./locales/en/*.json'], { import: 'default' });

function namespaceOf(path: string): string {
  return path
    .split('/')
    .pop()!
    .replace(/\.json$/, '');
}

export const NAMESPACES = Object.keys(english).map(namespaceOf);

async function loadLanguage(language: Language) {
  if (language === 'en' || i18next.hasResourceBundle(language, 'common')) return;
  const files = Object.entries(others).filter(([path]) => path.startsWith(`./locales/${language}/`));
  await Promise.all(files.map(async ([path, load]) => i18next.addResourceBundle(language, namespaceOf(path), await load(), true, true)));
}

export async function setupI18n(): Promise<typeof i18next> {
  const language = initialLanguage();
  await i18next.use(initReactI18next).init({
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    ns: NAMESPACES,
    defaultNS: 'common',
    resources: { en: Object.fromEntries(Object.entries(english).map(([path, messages]) => [namespaceOf(path), messages])) },
    // An empty translation means "not translated yet": show English instead of nothing.
    returnEmptyString: false,
    interpolation: { escapeValue: false }, // React escapes.
  });
  await changeLanguage(language, { remember: false });
  return i18next;
}

export async function changeLanguage(language: Language, { remember = true } = {}) {
  await loadLanguage(language);
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
  if (remember) rememberLanguage(language);
}
