import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthFrame } from './AuthFrame';
import { ChallengeStep, type Challenge } from './ChallengeStep';
import { NewPasswordInput, newPasswordError, serverPasswordError, usePasswordRules } from './password-strength';

const NO_CONTEXT = {};

/**
 * `/password-reset/{token}`, the link in the reset e-mail: a new password, then a code to the phone on file
 * (the mailbox alone changes nothing). The link works once: after it, an expired code means a new link.
 */
export function PasswordResetPage() {
  const { t } = useTranslation('auth');
  const { token } = useParams({ strict: false }) as { token: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const rules = usePasswordRules();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [gone, setGone] = useState<'link' | 'code' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { password: '' },
    validate: { password: (value) => newPasswordError(value, rules, NO_CONTEXT, t) },
  });

  async function confirm({ password }: typeof form.values) {
    setError(null);
    try {
      const { challenge } = await unwrap(api.POST('/api/v1/auth/password-reset/confirm', { body: { token, newPassword: password } }));
      setChallenge(challenge);
    } catch (problem) {
      if (isProblem(problem, 'token_expired')) return setGone('link');
      const passwordMessage = serverPasswordError(problem, t);
      if (passwordMessage) return form.setFieldError('password', passwordMessage);
      setError(problem);
    }
  }

  async function done() {
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
    const me = await queryClient.fetchQuery(meQuery);
    // The code signs in; should the session not be there after all, the new password still is.
    await navigate(me ? { to: '/', search: {} } : { to: '/', search: { reason: 'password_reset' } });
  }

  if (gone) {
    return (
      <AuthFrame title={t('reset.goneTitle')}>
        <Stack gap="md">
          <Alert color="yellow" role="alert">
            {gone === 'link' ? t('reset.linkGone') : t('reset.codeGone')}
          </Alert>
          <Anchor component={Link} to="/password-reset">
            {t('reset.requestAgain')}
          </Anchor>
        </Stack>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title={challenge ? t('reset.codeTitle') : t('reset.title')}>
      {challenge ? (
        <ChallengeStep challenge={challenge} onVerified={done} onExpired={() => setGone('code')} />
      ) : (
        <form onSubmit={form.onSubmit(confirm)} noValidate>
          <Stack gap="md">
            <Text>{t('reset.intro')}</Text>
            <ProblemAlert error={error} />
            <NewPasswordInput
              id="reset-password"
              label={t('password.newLabel')}
              required
              withAsterisk={false}
              rules={rules}
              context={NO_CONTEXT}
              {...form.getInputProps('password')}
              value={form.values.password}
            />
            <Button type="submit" loading={form.submitting}>
              {t('reset.submit')}
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
