import { Alert, Button, Group, Loader, NativeSelect, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useStepUp } from '../auth/step-up';
import { ContractsList, TeamLayout } from './TeamLayout';
import type { WithStepUp } from './UserDialogs';
import { activeUsers, byId, contractsInTheWay, groupsQuery, usersQuery, useGroups, useUsers, type AccessGroup } from './queries';
import { Dialog } from '../../components/Dialog';

type GroupDialog = { kind: 'create' } | { kind: 'edit' | 'delete' | 'members'; group: AccessGroup };

/**
 * `/team/groups`: access groups decide who sees a restricted contract (a contract without groups is seen by
 * every active user). Masters create, rename and delete them and manage their members; membership changes
 * need a fresh code (step-up in place).
 */
export function GroupsPage() {
  return (
    <TeamLayout>
      <GroupsSection />
    </TeamLayout>
  );
}

function GroupsSection() {
  const { t } = useTranslation('team');
  const groups = useGroups();
  const users = useUsers();
  const { withStepUp, stepUpDialog } = useStepUp();
  const [dialog, setDialog] = useState<GroupDialog | null>(null);
  const usersById = byId(users.data);
  const close = () => setDialog(null);
  // The dialog follows the group's newest state (members added or removed while it is open).
  const current = dialog && dialog.kind !== 'create' ? (groups.data?.find((group) => group.id === dialog.group.id) ?? dialog.group) : null;

  if (groups.isPending) return <Loader size="sm" aria-label={t('groups.loading')} />;
  if (groups.isError) return <ProblemAlert error={groups.error} />;

  const sorted = [...groups.data].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Stack gap="sm" component="section" aria-label={t('sections.groups')}>
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="gray.7">
          {t('groups.intro')}
        </Text>
        {sorted.length > 0 && <Button onClick={() => setDialog({ kind: 'create' })}>{t('groups.create')}</Button>}
      </Group>
      {sorted.length === 0 ? (
        <EmptyState
          title={t('groups.emptyTitle')}
          body={t('groups.emptyBody')}
          action={<Button onClick={() => setDialog({ kind: 'create' })}>{t('groups.create')}</Button>}
        />
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="xs" striped aria-label={t('groups.tableLabel')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('groups.name')}</Table.Th>
                <Table.Th>{t('groups.description')}</Table.Th>
                <Table.Th>{t('groups.members')}</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">{t('groups.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((group) => {
                const members = group.memberIds.map((id) => usersById.get(id)?.name).filter((name): name is string => Boolean(name));
                return (
                  <Table.Tr key={group.id}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {group.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{group.description ?? '–'}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{members.length > 0 ? members.sort().join(', ') : t('groups.noMembers')}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6} justify="flex-end" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setDialog({ kind: 'members', group })}
                          aria-label={t('groups.membersOf', { name: group.name })}
                        >
                          {t('groups.manageMembers')}
                        </Button>
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setDialog({ kind: 'edit', group })}
                          aria-label={t('groups.editNamed', { name: group.name })}
                        >
                          {t('groups.edit')}
                        </Button>
                        <Button
                          size="xs"
                          variant="default"
                          color="red"
                          onClick={() => setDialog({ kind: 'delete', group })}
                          aria-label={t('groups.deleteNamed', { name: group.name })}
                        >
                          {t('groups.delete')}
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <GroupFormDialog
        opened={dialog?.kind === 'create' || dialog?.kind === 'edit'}
        group={dialog?.kind === 'edit' ? current : null}
        onClose={close}
      />
      <DeleteGroupDialog group={dialog?.kind === 'delete' ? current : null} onClose={close} />
      <MembersDialog group={dialog?.kind === 'members' ? current : null} onClose={close} withStepUp={withStepUp} />
      {stepUpDialog}
    </Stack>
  );
}

/** Create (no group) or edit a group's name and description; name_taken goes next to the name. */
function GroupFormDialog({ opened, group, onClose }: { opened: boolean; group: AccessGroup | null; onClose: () => void }) {
  const { t } = useTranslation('team');
  const { t: auth } = useTranslation('auth');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const form = useForm({
    initialValues: { name: '', description: '' },
    validate: {
      name: (value) =>
        value.trim().length === 0 ? t('groupForm.nameRequired') : value.length > 100 ? auth('fields.tooLong', { count: 100 }) : null,
      description: (value) => (value.length > 1000 ? auth('fields.tooLong', { count: 1000 }) : null),
    },
  });
  useEffect(() => {
    if (!opened) return;
    form.setValues({ name: group?.name ?? '', description: group?.description ?? '' });
    form.resetDirty();
    setError(null);
    // Only when the dialog opens (or opens for another group), not on every change of the form.
  }, [opened, group?.id]);

  async function save(values: typeof form.values) {
    setError(null);
    const body = { name: values.name.trim(), description: values.description.trim() === '' ? null : values.description };
    try {
      if (group) await unwrap(api.PATCH('/api/v1/groups/{id}', { params: { path: { id: group.id } }, body }));
      else await unwrap(api.POST('/api/v1/groups', { body }));
      await queryClient.invalidateQueries({ queryKey: groupsQuery.queryKey });
      onClose();
    } catch (problem) {
      if (isProblem(problem, 'name_taken')) return form.setFieldError('name', t('groupForm.nameTaken'));
      const fields = fieldErrorsOf(problem);
      if (Object.keys(fields).length > 0) return form.setErrors(fields);
      setError(problem);
    }
  }

  return (
    <Dialog
      opened={opened}
      onClose={onClose}
      title={group ? t('groupForm.editTitle', { name: group.name }) : t('groupForm.createTitle')}
      centered
    >
      <form onSubmit={form.onSubmit(save)} noValidate>
        <Stack gap="md">
          <ProblemAlert error={error} />
          <TextInput label={t('groupForm.name')} required withAsterisk={false} data-autofocus {...form.getInputProps('name')} />
          <Textarea label={t('groupForm.description')} autosize minRows={2} {...form.getInputProps('description')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {common('actions.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {group ? common('actions.save') : t('groupForm.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

/** Deleting a group that still restricts contracts is refused (group_in_use): the dialog says which. */
function DeleteGroupDialog({ group, onClose }: { group: AccessGroup | null; onClose: () => void }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/groups/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: groupsQuery.queryKey });
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey });
      close();
    },
  });
  function close() {
    onClose();
    remove.reset();
  }
  const inUse = isProblem(remove.error, 'group_in_use') ? contractsInTheWay(remove.error.body) : null;

  return (
    <Dialog opened={group !== null} onClose={close} title={t('deleteGroup.title', { name: group?.name ?? '' })} centered>
      {group && (
        <Stack gap="md">
          <Text size="sm">{t('deleteGroup.body')}</Text>
          {inUse ? (
            <Alert variant="outline" color="red.9" role="alert" title={t('deleteGroup.inUseTitle')}>
              {inUse.contracts.length > 0 ? (
                <ContractsList found={inUse} intro={t('deleteGroup.inUse')} />
              ) : (
                <Text size="sm">{t('deleteGroup.inUseHidden')}</Text>
              )}
            </Alert>
          ) : (
            <ProblemAlert error={remove.error} />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {common('actions.cancel')}
            </Button>
            <Button color="red" loading={remove.isPending} disabled={inUse !== null} onClick={() => remove.mutate(group.id)}>
              {t('deleteGroup.submit')}
            </Button>
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}

/**
 * Who is in a group: add an active user, remove a member. A removal that would leave a restricted contract
 * with nobody able to see it is refused (409 handover_required): the dialog names the contracts the master
 * sees and counts the others.
 */
function MembersDialog({ group, onClose, withStepUp }: { group: AccessGroup | null; onClose: () => void; withStepUp: WithStepUp }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const users = useUsers();
  const [adding, setAdding] = useState('');
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: groupsQuery.queryKey });
    await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey });
  };
  const add = useMutation({
    mutationFn: ({ groupId, userId }: { groupId: string; userId: string }) =>
      withStepUp(
        () => unwrap(api.PUT('/api/v1/groups/{id}/members/{userId}', { params: { path: { id: groupId, userId } } })),
        t('members.stepUpReason'),
      ),
    onSuccess: async () => {
      setAdding('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: ({ groupId, userId }: { groupId: string; userId: string }) =>
      withStepUp(
        () => unwrap(api.DELETE('/api/v1/groups/{id}/members/{userId}', { params: { path: { id: groupId, userId } } })),
        t('members.stepUpReason'),
      ),
    onSuccess: refresh,
  });

  function close() {
    onClose();
    add.reset();
    remove.reset();
    setAdding('');
  }

  const members = activeUsers(users.data).filter((user) => group?.memberIds.includes(user.id));
  const others = activeUsers(users.data).filter((user) => !group?.memberIds.includes(user.id));
  const removing = remove.variables?.userId;
  const removedName =
    members.find((member) => member.id === removing)?.name ?? users.data?.find((user) => user.id === removing)?.name ?? '';
  const stuck = isProblem(remove.error, 'handover_required') ? contractsInTheWay(remove.error.body) : null;

  return (
    <Dialog opened={group !== null} onClose={close} title={t('members.title', { name: group?.name ?? '' })} centered size="lg">
      {group && (
        <Stack gap="md">
          <Text size="sm" c="gray.7">
            {t('members.intro')}
          </Text>
          {stuck ? (
            <Alert variant="outline" color="red.9" role="alert" title={t('members.removeRefusedTitle', { name: removedName })}>
              <ContractsList found={stuck} intro={t('members.removeRefused', { name: removedName })} />
            </Alert>
          ) : (
            <ProblemAlert error={remove.error} />
          )}
          <ProblemAlert error={add.error} />
          {members.length === 0 ? (
            <Text size="sm">{t('members.none')}</Text>
          ) : (
            <Table verticalSpacing={4} aria-label={t('members.tableLabel', { name: group.name })}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('users.name')}</Table.Th>
                  <Table.Th>{t('users.email')}</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">{t('groups.actions')}</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {members.map((member) => (
                  <Table.Tr key={member.id}>
                    <Table.Td>
                      <Text size="sm">{member.name}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{member.email}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="default"
                        aria-busy={remove.isPending && removing === member.id}
                        aria-label={t('members.removeNamed', { name: member.name })}
                        onClick={() => remove.mutate({ groupId: group.id, userId: member.id })}
                      >
                        {t('members.remove')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {others.length > 0 && (
            <Group align="flex-end" gap="xs" wrap="wrap">
              <NativeSelect
                label={t('members.add')}
                value={adding}
                onChange={(event) => setAdding(event.currentTarget.value)}
                data={[
                  { value: '', label: t('members.choose'), disabled: true },
                  ...others.map((user) => ({ value: user.id, label: `${user.name} (${user.email})` })),
                ]}
                style={{ flex: 1, minWidth: 220 }}
              />
              <Button disabled={adding === ''} aria-busy={add.isPending} onClick={() => add.mutate({ groupId: group.id, userId: adding })}>
                {t('members.addSubmit')}
              </Button>
            </Group>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {common('actions.close')}
            </Button>
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}
