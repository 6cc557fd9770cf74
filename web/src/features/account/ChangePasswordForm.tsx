import { Alert, Button, PasswordInput, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import type { Me } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { NewPasswordInput, newPasswordError, serverPasswordError, usePasswordRules } from '../auth/password-strength';
import { sessionsQueryKey } from './SessionsTable';

/** Current and new password; the server ends every other session, which the table then shows. */
export function ChangePasswordForm({ me }: { me: Me }) {
  const { t } = useTranslation('account');
  const { t: auth } = useTranslation('auth');
  const rules = usePasswordRules();
  const queryClient = useQueryClient();
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const context = useMemo(() => ({ email: me.user.email, name: me.user.name, companyName: me.tenant.name }), [me]);
  const form = useForm({
    initialValues: { currentPassword: '', newPassword: '' },
    validate: {
      currentPassword: (value) => (value.length === 0 ? t('password.currentRequired') : null),
      newPassword: (value) => newPasswordError(value, rules, context, auth),
    },
  });

  async function change(values: typeof form.values) {
    setDone(false);
    setError(null);
    try {
      await unwrap(api.POST('/api/v1/auth/password', { body: values }));
      form.reset();
      setDone(true);
      await queryClient.invalidateQueries({ queryKey: sessionsQueryKey });
    } catch (problem) {
      if (isProblem(problem, 'invalid_credentials')) return form.setFieldError('currentPassword', t('password.currentWrong'));
      const passwordMessage = serverPasswordError(problem, auth);
      if (passwordMessage) return form.setFieldError('newPassword', passwordMessage);
      setError(problem);
    }
  }

  return (
    <form onSubmit={form.onSubmit(change)} noValidate>
      <Stack gap="md" maw={420}>
        {done && (
          <Alert color="green" role="status">
            {t('password.changed')}
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
        <NewPasswordInput
          id="account-new-password"
          label={auth('password.newLabel')}
          required
          withAsterisk={false}
          rules={rules}
          context={context}
          {...form.getInputProps('newPassword')}
          value={form.values.newPassword}
        />
        <div>
          <Button type="submit" loading={form.submitting}>
            {t('password.submit')}
          </Button>
        </div>
      </Stack>
    </form>
  );
}
