import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthFrame } from './AuthFrame';
import { ChallengeStep, type Challenge } from './ChallengeStep';
import { NewPasswordInput, newPasswordError, serverPasswordError, usePasswordRules } from './password-strength';
import { checkPhone, defaultCountry, PhoneFields, phoneError } from './phone';

const NO_CONTEXT = {};

/**
 * `/invitations/{token}`, the link in an invitation e-mail: the colleague chooses a password and gives the
 * phone for codes, confirms a code, and is signed in. An expired or used link says so and what to do.
 */
export function AcceptInvitationPage() {
  const { t } = useTranslation('auth');
  const { token } = useParams({ strict: false }) as { token: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const rules = usePasswordRules();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [gone, setGone] = useState(false);
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { phoneCountry: defaultCountry(), phoneNational: '', password: '' },
    validate: {
      phoneNational: (value, values) => phoneError(values.phoneCountry, value, t),
      password: (value) => newPasswordError(value, rules, NO_CONTEXT, t),
    },
  });

  async function accept(values: typeof form.values) {
    setError(null);
    setExpired(false);
    const phone = checkPhone(values.phoneCountry, values.phoneNational);
    if (!phone.ok) return;
    try {
      const { challenge } = await unwrap(
        api.POST('/api/v1/invitations/{token}/accept', {
          params: { path: { token } },
          body: { password: values.password, phone: phone.e164 },
        }),
      );
      setChallenge(challenge);
    } catch (problem) {
      if (isProblem(problem, 'invitation_expired')) return setGone(true);
      const passwordMessage = serverPasswordError(problem, t);
      if (passwordMessage) return form.setFieldError('password', passwordMessage);
      if (isProblem(problem, 'invalid_phone') || isProblem(problem, 'unsupported_country'))
        return form.setFieldError('phoneNational', t(`phone.server.${problem.code}`));
      const { phone: phoneMessage, password } = fieldErrorsOf(problem);
      form.setErrors({ ...(phoneMessage ? { phoneNational: phoneMessage } : {}), ...(password ? { password } : {}) });
      setError(problem);
    }
  }

  async function accepted() {
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
    await queryClient.fetchQuery(meQuery);
    await navigate({ to: '/', search: {} });
  }

  if (gone) {
    return (
      <AuthFrame title={t('invitation.goneTitle')}>
        <Stack gap="md">
          <Alert color="yellow" role="alert">
            {t('invitation.gone')}
          </Alert>
          <Anchor component={Link} to="/">
            {t('invitation.toSignIn')}
          </Anchor>
        </Stack>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title={challenge ? t('invitation.codeTitle') : t('invitation.title')}>
      {challenge ? (
        <ChallengeStep
          challenge={challenge}
          onVerified={accepted}
          onExpired={() => {
            setChallenge(null);
            setExpired(true);
          }}
        />
      ) : (
        <form onSubmit={form.onSubmit(accept)} noValidate>
          <Stack gap="md">
            <Text>{t('invitation.intro')}</Text>
            {expired && (
              <Alert color="yellow" role="status">
                {t('invitation.codeExpired')}
              </Alert>
            )}
            <ProblemAlert error={error} />
            <NewPasswordInput
              id="invitation-password"
              label={t('password.newLabel')}
              required
              withAsterisk={false}
              rules={rules}
              context={NO_CONTEXT}
              {...form.getInputProps('password')}
              value={form.values.password}
            />
            <PhoneFields
              country={form.values.phoneCountry}
              onCountryChange={(country) => form.setFieldValue('phoneCountry', country)}
              nationalInput={form.getInputProps('phoneNational')}
            />
            <Button type="submit" loading={form.submitting}>
              {t('invitation.submit')}
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
