import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { isProblem } from '../api/problem';

/** The human message for a problem code, in the user's language; never the raw code or a stack. */
export function useProblemMessage() {
  const { t } = useTranslation('errors');
  return (error: unknown): string => {
    if (!isProblem(error)) return t('internal_error');
    if (error.code === 'rate_limited' && error.retryAfterSeconds !== null)
      return t('rate_limited_seconds', { count: error.retryAfterSeconds });
    return t(error.code, { defaultValue: t('unexpected_response') });
  };
}

/** A form-level or page-level error: what happened and what to do. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const message = useProblemMessage();
  if (!error) return null;
  return (
    <Alert color="red" title={title} role="alert" mb="md">
      {message(error)}
    </Alert>
  );
}
