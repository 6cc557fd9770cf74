import { NativeSelect } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { changeLanguage } from '../i18n';
import { LANGUAGE_NAMES, LANGUAGES, type Language } from '../i18n/languages';

/** Each language named in itself, so a user who cannot read the current one still finds theirs. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <NativeSelect
      label={t('language.label')}
      size="xs"
      value={i18n.resolvedLanguage ?? 'en'}
      data={LANGUAGES.map((language) => ({ value: language, label: LANGUAGE_NAMES[language] }))}
      onChange={(event) => void changeLanguage(event.currentTarget.value as Language)}
    />
  );
}
