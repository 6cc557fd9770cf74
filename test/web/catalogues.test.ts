import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemTitles } from '../../src/http/problem.js';

/**
 * The web app's words (web/src/i18n/locales/<language>/<namespace>.json): every language complete
 * (a key added to English without its German, French and Italian text fails here rather than
 * showing English on a French or Italian screen), the same placeholders everywhere, Swiss German
 * spelling, and a human message for every problem code.
 */
const LOCALES = join(import.meta.dirname, '..', '..', 'web', 'src', 'i18n', 'locales');
const LANGUAGES = ['en', 'de', 'fr', 'it'] as const;

type Catalogue = Record<string, string>;

function flatten(value: unknown, prefix = ''): Catalogue {
  if (typeof value === 'string') return { [prefix]: value };
  const entries = Object.entries(value as Record<string, unknown>);
  return Object.assign({}, ...entries.map(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key)));
}

function load(language: string): Record<string, Catalogue> {
  const dir = join(LOCALES, language);
  return Object.fromEntries(
    readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => [file.replace(/\.json$/, ''), flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')))]),
  );
}

const catalogues = Object.fromEntries(LANGUAGES.map((language) => [language, load(language)])) as Record<
  (typeof LANGUAGES)[number],
  Record<string, Catalogue>
>;
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]).sort();

describe('message catalogues', () => {
  it('have the same namespaces in every language', () => {
    for (const language of LANGUAGES) expect(Object.keys(catalogues[language]).sort(), language).toEqual(Object.keys(catalogues.en).sort());
  });

  for (const namespace of Object.keys(catalogues.en)) {
    it(`${namespace}: every key in every language, none empty, the same placeholders`, () => {
      const english = catalogues.en[namespace]!;
      for (const language of LANGUAGES) {
        const catalogue = catalogues[language][namespace] ?? {};
        expect(Object.keys(catalogue).sort(), `${language}/${namespace} keys`).toEqual(Object.keys(english).sort());
        for (const [key, text] of Object.entries(catalogue)) {
          expect(text.trim(), `${language}/${namespace}:${key} is empty`).not.toBe('');
          expect(placeholders(text), `${language}/${namespace}:${key} placeholders`).toEqual(placeholders(english[key]!));
        }
      }
    });
  }

  it('write German the Swiss way: "ss", never "ß"', () => {
    const withEszett = Object.entries(catalogues.de).flatMap(([namespace, catalogue]) =>
      Object.entries(catalogue)
        .filter(([, text]) => text.includes('ß'))
        .map(([key]) => `${namespace}:${key}`),
    );
    expect(withEszett).toEqual([]);
  });

  it('give every problem code the server can answer a message in English and German', () => {
    for (const code of Object.keys(problemTitles)) {
      expect(catalogues.en.errors?.[code], `en errors:${code}`).toBeTruthy();
      expect(catalogues.de.errors?.[code], `de errors:${code}`).toBeTruthy();
    }
  });
});
