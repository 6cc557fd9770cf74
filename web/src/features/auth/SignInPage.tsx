import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { meQuery } from '../../app/session';
import { AuthFrame } from './AuthFrame';
import { ChallengeStep, type Challenge } from './ChallengeStep';
import { emailError } from './rules';

/** Sign-in at `/`: password first, then the code sent to the phone. */
export function SignInPage() {
  const { t } = useTranslation('auth');
  const search = useSearch({ strict: false }) as { next?: string; reason?: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: (value) => emailError(value, t),
      password: (value) => (value.length === 0 ? t('signIn.passwordRequired') : null),
    },
  });

  async function signIn(values: typeof form.values) {
    setError(null);
    setExpired(false);
    try {
      const { challenge } = await unwrap(api.POST('/api/v1/auth/login', { body: values }));
      setChallenge(challenge);
    } catch (problem) {
      setError(problem);
    }
  }

  async function signedIn() {
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
    await queryClient.fetchQuery(meQuery);
    await navigate({ to: search.next ?? '/', search: {} });
  }

  const reasonMessage = search.reason ? t(`signIn.reason.${search.reason}`) : null;

  return (
    <AuthFrame
      title={t('signIn.title')}
      footer={
        <>
          <Anchor component={Link} to="/signup" size="sm">
            {t('signIn.createAccount')}
          </Anchor>
          <Anchor component={Link} to="/password-reset" size="sm">
            {t('signIn.forgotPassword')}
          </Anchor>
        </>
      }
    >
      {challenge ? (
        <ChallengeStep
          challenge={challenge}
          onVerified={signedIn}
          onExpired={() => {
            setChallenge(null);
            setExpired(true);
          }}
        />
      ) : (
        <form onSubmit={form.onSubmit(signIn)} noValidate>
          <Stack gap="md">
            {reasonMessage && !error && (
              <Alert color={search.reason === 'session_ended' ? 'yellow' : 'blue'} role="status">
                {reasonMessage}
              </Alert>
            )}
            {expired && (
              <Alert color="yellow" role="status">
                {t('code.expiredStartAgain')}
              </Alert>
            )}
            <ProblemAlert error={error} />
            <TextInput
              label={t('fields.email')}
              type="email"
              autoComplete="username"
              required
              withAsterisk={false}
              {...form.getInputProps('email')}
            />
            <PasswordInput
              label={t('fields.password')}
              autoComplete="current-password"
              required
              withAsterisk={false}
              {...form.getInputProps('password')}
            />
            <Button type="submit" loading={form.submitting}>
              {t('signIn.submit')}
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
