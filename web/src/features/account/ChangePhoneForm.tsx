import { Alert, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ChallengeStep, type Challenge, type Verified } from '../auth/ChallengeStep';
import { checkPhone, defaultCountry, PhoneFields, phoneError } from '../auth/phone';

type Step = { kind: 'form' } | { kind: 'old'; challenge: Challenge } | { kind: 'new'; challenge: Challenge } | { kind: 'done' };

/**
 * Changing the phone for codes (src/identity/phone-change.ts): the password and the new number, then a code
 * to the OLD number (it is still the owner), whose verification answers with a code to the NEW number (it
 * can receive codes); only that second code changes the number.
 */
export function ChangePhoneForm() {
  const { t } = useTranslation('account');
  const { t: auth } = useTranslation('auth');
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: 'form' });
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { currentPassword: '', phoneCountry: defaultCountry(), phoneNational: '' },
    validate: {
      currentPassword: (value) => (value.length === 0 ? t('password.currentRequired') : null),
      phoneNational: (value, values) => phoneError(values.phoneCountry, value, auth),
    },
  });

  async function start(values: typeof form.values) {
    setError(null);
    setExpired(false);
    const phone = checkPhone(values.phoneCountry, values.phoneNational);
    if (!phone.ok) return;
    try {
      const { challenge } = await unwrap(
        api.POST('/api/v1/me/phone', { body: { currentPassword: values.currentPassword, newPhone: phone.e164 } }),
      );
      setStep({ kind: 'old', challenge });
    } catch (problem) {
      if (isProblem(problem, 'invalid_credentials')) return form.setFieldError('currentPassword', t('password.currentWrong'));
      if (isProblem(problem, 'invalid_phone') || isProblem(problem, 'unsupported_country'))
        return form.setFieldError('phoneNational', auth(`phone.server.${problem.code}`));
      const { newPhone } = fieldErrorsOf(problem);
      if (newPhone) return form.setFieldError('phoneNational', isProblem(problem, 'validation_failed') ? t('phone.same') : newPhone);
      setError(problem);
    }
  }

  async function verified(result: Verified) {
    if (result.challenge) return setStep({ kind: 'new', challenge: result.challenge });
    form.reset();
    setStep({ kind: 'done' });
    await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
  }

  const restart = () => {
    setExpired(true);
    setStep({ kind: 'form' });
  };

  if (step.kind === 'old' || step.kind === 'new') {
    return (
      <Stack gap="sm" maw={420}>
        <Text fw={600}>{step.kind === 'old' ? t('phone.oldNumberStep') : t('phone.newNumberStep')}</Text>
        <ChallengeStep key={step.challenge.id} challenge={step.challenge} onVerified={verified} onExpired={restart} />
        <div>
          <Button variant="subtle" onClick={() => setStep({ kind: 'form' })}>
            {t('phone.cancel')}
          </Button>
        </div>
      </Stack>
    );
  }

  return (
    <form onSubmit={form.onSubmit(start)} noValidate>
      <Stack gap="md" maw={420}>
        {step.kind === 'done' && (
          <Alert color="green" role="status">
            {t('phone.changed')}
          </Alert>
        )}
        {expired && (
          <Alert color="yellow" role="status">
            {t('phone.expired')}
          </Alert>
        )}
        <ProblemAlert error={error} />
        <PasswordInput
          label={t('password.current')}
          autoComplete="current-password"
          required
          withAsterisk={false}
          {...form.getInputProps('currentPassword')}
        />
        <PhoneFields
          country={form.values.phoneCountry}
          onCountryChange={(country) => form.setFieldValue('phoneCountry', country)}
          nationalInput={form.getInputProps('phoneNational')}
          label={t('phone.newNumber')}
        />
        <div>
          <Button type="submit" loading={form.submitting}>
            {t('phone.submit')}
          </Button>
        </div>
      </Stack>
    </form>
  );
}
