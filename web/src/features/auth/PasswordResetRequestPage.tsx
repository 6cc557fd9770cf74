import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthFrame } from './AuthFrame';
import { emailError } from './rules';

/**
 * `/password-reset`: the e-mail address, then the same answer whether or not an account exists (the
 * server's 202 says nothing either), so the screen cannot be used to find out who has an account.
 */
export function PasswordResetRequestPage() {
  const { t } = useTranslation('auth');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({ initialValues: { email: '' }, validate: { email: (value) => emailError(value, t) } });

  async function request({ email }: typeof form.values) {
    setError(null);
    try {
      await unwrap(api.POST('/api/v1/auth/password-reset', { body: { email: email.trim() } }));
      setSentTo(email.trim());
    } catch (problem) {
      setError(problem);
    }
  }

  return (
    <AuthFrame
      title={t('reset.requestTitle')}
      footer={
        <Anchor component={Link} to="/" size="sm">
          {t('reset.backToSignIn')}
        </Anchor>
      }
    >
      {sentTo ? (
        <Alert color="blue" role="status">
          {t('reset.sent', { email: sentTo })}
        </Alert>
      ) : (
        <form onSubmit={form.onSubmit(request)} noValidate>
          <Stack gap="md">
            <Text>{t('reset.requestIntro')}</Text>
            <ProblemAlert error={error} />
            <TextInput
              label={t('fields.email')}
              type="email"
              autoComplete="email"
              required
              withAsterisk={false}
              {...form.getInputProps('email')}
            />
            <Button type="submit" loading={form.submitting}>
              {t('reset.requestSubmit')}
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
