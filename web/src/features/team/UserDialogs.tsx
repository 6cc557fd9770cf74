import { Alert, Button, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { emailError, requiredNameError } from '../auth/rules';
import type { useStepUp } from '../auth/step-up';
import { InvitationLink } from './InvitationLink';
import { usersQuery, type Invitation, type TeamUser } from './queries';
import { Dialog } from '../../components/Dialog';

export type WithStepUp = ReturnType<typeof useStepUp>['withStepUp'];
type Role = 'master' | 'member';

/** Invite a colleague: name, e-mail and role; then the link to pass on (the server also mails it). */
export function InviteDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation('team');
  const { t: auth } = useTranslation('auth');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const [invited, setInvited] = useState<{ name: string; invitation: Invitation } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { name: '', email: '', role: 'member' as Role },
    validate: {
      name: (value) => requiredNameError(value, t('invite.nameRequired'), auth),
      email: (value) => emailError(value, auth),
    },
  });

  function close() {
    onClose();
    // After the closing transition has begun: the next invitation starts from an empty form.
    setInvited(null);
    setError(null);
    form.reset();
  }

  async function invite(values: typeof form.values) {
    setError(null);
    try {
      const result = await unwrap(
        api.POST('/api/v1/users', { body: { name: values.name.trim(), email: values.email.trim(), role: values.role } }),
      );
      setInvited({ name: result.user.name, invitation: result.invitation });
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey });
    } catch (problem) {
      if (isProblem(problem, 'email_taken')) return form.setFieldError('email', t('invite.emailTaken'));
      const fields = fieldErrorsOf(problem);
      if (Object.keys(fields).length > 0) return form.setErrors(fields);
      setError(problem);
    }
  }

  return (
    <Dialog opened={opened} onClose={close} title={t('invite.title')} centered size="lg">
      {invited ? (
        <Stack gap="md">
          <InvitationLink invitation={invited.invitation} name={invited.name} />
          <Group justify="flex-end">
            <Button onClick={close}>{common('actions.close')}</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={form.onSubmit(invite)} noValidate>
          <Stack gap="md">
            <Text size="sm" c="gray.7">
              {t('invite.intro')}
            </Text>
            <ProblemAlert error={error} />
            <TextInput label={t('invite.name')} required withAsterisk={false} data-autofocus {...form.getInputProps('name')} />
            <TextInput label={t('invite.email')} type="email" required withAsterisk={false} {...form.getInputProps('email')} />
            <NativeSelect
              label={t('invite.role')}
              description={t('invite.roleHint')}
              data={[
                { value: 'member', label: t('roles.member') },
                { value: 'master', label: t('roles.master') },
              ]}
              {...form.getInputProps('role')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {common('actions.cancel')}
              </Button>
              <Button type="submit" loading={form.submitting}>
                {t('invite.submit')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Dialog>
  );
}

/** A fresh link for a pending invitation (the earlier one stops working), mailed and shown to copy. */
export function NewLinkDialog({ user, onClose }: { user: TeamUser | null; onClose: () => void }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const reissue = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/users/{id}/invitation', { params: { path: { id } } })),
  });
  function close() {
    onClose();
    reissue.reset();
  }

  return (
    <Dialog opened={user !== null} onClose={close} title={t('newLink.title', { name: user?.name ?? '' })} centered size="lg">
      {user && (
        <Stack gap="md">
          {reissue.data ? (
            <InvitationLink invitation={reissue.data} name={user.name} />
          ) : (
            <>
              <Text size="sm">{t('newLink.body', { email: user.email })}</Text>
              <ProblemAlert error={reissue.error} />
            </>
          )}
          <Group justify="flex-end">
            {reissue.data ? (
              <Button onClick={close}>{common('actions.close')}</Button>
            ) : (
              <>
                <Button variant="default" onClick={close}>
                  {common('actions.cancel')}
                </Button>
                <Button loading={reissue.isPending} onClick={() => reissue.mutate(user.id)}>
                  {t('newLink.submit')}
                </Button>
              </>
            )}
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}

/** Master or member. The company keeps at least one master: the server's 409 last_master says so here. */
export function RoleDialog({ user, onClose, withStepUp }: { user: TeamUser | null; onClose: () => void; withStepUp: WithStepUp }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const [role, setRole] = useState<Role>('member');
  useEffect(() => {
    if (user) setRole(user.role);
  }, [user]);
  const change = useMutation({
    mutationFn: ({ id, role: next }: { id: string; role: Role }) =>
      withStepUp(() => unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body: { role: next } })), t('role.stepUpReason')),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey });
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      close();
    },
  });

  function close() {
    onClose();
    change.reset();
  }

  return (
    <Dialog opened={user !== null} onClose={close} title={t('role.title', { name: user?.name ?? '' })} centered>
      {user && (
        <Stack gap="md">
          <Text size="sm">{t('role.body')}</Text>
          {isProblem(change.error, 'last_master') ? (
            <Alert variant="outline" color="red.9" role="alert">
              {t('role.lastMaster', { name: user.name })}
            </Alert>
          ) : (
            <ProblemAlert error={change.error} />
          )}
          <NativeSelect
            label={t('role.label')}
            value={role}
            onChange={(event) => setRole(event.currentTarget.value as Role)}
            data={[
              { value: 'member', label: t('roles.member') },
              { value: 'master', label: t('roles.master') },
            ]}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {common('actions.cancel')}
            </Button>
            <Button aria-busy={change.isPending} disabled={role === user.role} onClick={() => change.mutate({ id: user.id, role })}>
              {t('role.submit')}
            </Button>
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}

/** Signs a user out of every device at once; their account stays (revoking is the other dialog). */
export function EndSessionsDialog({ user, onClose, withStepUp }: { user: TeamUser | null; onClose: () => void; withStepUp: WithStepUp }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const end = useMutation({
    mutationFn: (id: string) =>
      withStepUp(() => unwrap(api.POST('/api/v1/users/{id}/sessions/end', { params: { path: { id } } })), t('sessions.stepUpReason')),
  });

  function close() {
    onClose();
    end.reset();
  }

  return (
    <Dialog opened={user !== null} onClose={close} title={t('sessions.title', { name: user?.name ?? '' })} centered>
      {user && (
        <Stack gap="md">
          {end.data ? (
            <Alert variant="outline" color="teal.9" role="status">
              {t('sessions.ended', { count: end.data.ended, name: user.name })}
            </Alert>
          ) : (
            <>
              <Text size="sm">{t('sessions.body', { name: user.name })}</Text>
              <ProblemAlert error={end.error} />
            </>
          )}
          <Group justify="flex-end">
            {end.data ? (
              <Button onClick={close}>{common('actions.close')}</Button>
            ) : (
              <>
                <Button variant="default" onClick={close}>
                  {common('actions.cancel')}
                </Button>
                <Button color="red" aria-busy={end.isPending} onClick={() => end.mutate(user.id)}>
                  {t('sessions.submit')}
                </Button>
              </>
            )}
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}
