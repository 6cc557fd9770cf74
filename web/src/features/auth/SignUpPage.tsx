import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthFrame } from './AuthFrame';
import { ChallengeStep, type Challenge } from './ChallengeStep';
import { NewPasswordInput, newPasswordError, serverPasswordError, usePasswordRules } from './password-strength';
import { checkPhone, defaultCountry, PhoneFields, phoneError } from './phone';
import { emailError, requiredNameError } from './rules';

/**
 * Sign-up at `/signup`: company, name, e-mail, phone and password, then the code sent to that phone. The
 * server answers an e-mail that already has an account exactly like a new one (API.md), so this screen
 * does too: it always moves on to the code step and never says whether the address was known.
 */
export function SignUpPage() {
  const { t } = useTranslation('auth');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const rules = usePasswordRules();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { companyName: '', name: '', email: '', phoneCountry: defaultCountry(), phoneNational: '', password: '' },
    validate: {
      companyName: (value) => requiredNameError(value, t('signUp.companyRequired'), t),
      name: (value) => requiredNameError(value, t('signUp.nameRequired'), t),
      email: (value) => emailError(value, t),
      phoneNational: (value, values) => phoneError(values.phoneCountry, value, t),
      password: (value, values) => newPasswordError(value, rules, values, t),
    },
  });
  const { companyName, name, email } = form.values;
  const passwordContext = useMemo(() => ({ companyName, name, email }), [companyName, name, email]);

  async function signUp(values: typeof form.values) {
    setError(null);
    setExpired(false);
    const phone = checkPhone(values.phoneCountry, values.phoneNational);
    if (!phone.ok) return;
    try {
      const { challenge } = await unwrap(
        api.POST('/api/v1/signup', {
          body: {
            companyName: values.companyName.trim(),
            name: values.name.trim(),
            email: values.email.trim(),
            phone: phone.e164,
            password: values.password,
          },
        }),
      );
      setChallenge(challenge);
    } catch (problem) {
      const fields = fieldErrorsOf(problem);
      const passwordMessage = serverPasswordError(problem, t);
      if (passwordMessage) form.setFieldError('password', passwordMessage);
      else if (isProblem(problem, 'invalid_phone') || isProblem(problem, 'unsupported_country'))
        form.setFieldError('phoneNational', t(`phone.server.${problem.code}`));
      else if (Object.keys(fields).length > 0) {
        const { phone: phoneMessage, ...others } = fields;
        form.setErrors({ ...others, ...(phoneMessage ? { phoneNational: phoneMessage } : {}) });
        setError(problem);
      } else setError(problem);
    }
  }

  async function signedUp() {
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
    await queryClient.fetchQuery(meQuery);
    await navigate({ to: '/', search: {} });
  }

  return (
    <AuthFrame
      title={challenge ? t('signUp.codeTitle') : t('signUp.title')}
      footer={
        <Text size="sm">
          {t('signUp.haveAccount')}{' '}
          <Anchor component={Link} to="/" size="sm">
            {t('signIn.title')}
          </Anchor>
        </Text>
      }
    >
      {challenge ? (
        <ChallengeStep
          challenge={challenge}
          onVerified={signedUp}
          onExpired={() => {
            setChallenge(null);
            setExpired(true);
          }}
        />
      ) : (
        <form onSubmit={form.onSubmit(signUp)} noValidate>
          <Stack gap="md">
            <Text>{t('signUp.intro')}</Text>
            {expired && (
              <Alert color="yellow" role="status">
                {t('signUp.expired')}
              </Alert>
            )}
            <ProblemAlert error={error} />
            <TextInput
              label={t('signUp.companyName')}
              autoComplete="organization"
              required
              withAsterisk={false}
              {...form.getInputProps('companyName')}
            />
            <TextInput label={t('signUp.name')} autoComplete="name" required withAsterisk={false} {...form.getInputProps('name')} />
            <TextInput
              label={t('fields.email')}
              type="email"
              autoComplete="email"
              required
              withAsterisk={false}
              {...form.getInputProps('email')}
            />
            <PhoneFields
              country={form.values.phoneCountry}
              onCountryChange={(country) => form.setFieldValue('phoneCountry', country)}
              nationalInput={form.getInputProps('phoneNational')}
            />
            <NewPasswordInput
              id="signup-password"
              label={t('fields.password')}
              required
              withAsterisk={false}
              rules={rules}
              context={passwordContext}
              {...form.getInputProps('password')}
              value={form.values.password}
            />
            <Button type="submit" loading={form.submitting}>
              {t('signUp.submit')}
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
