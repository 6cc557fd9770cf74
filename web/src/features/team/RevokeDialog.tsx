import { Alert, Button, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ContractsList } from './TeamLayout';
import type { WithStepUp } from './UserDialogs';
import { activeUsers, contractsInTheWay, groupsQuery, usersQuery, useUsers, type ContractsInTheWay, type TeamUser } from './queries';
import { Dialog } from '../../components/Dialog';

/**
 * Revoke access, at once: sessions, codes and links end in the same transaction. While the user manages a
 * contract, or is the only one who can see a restricted contract, the server answers 409
 * handover_required with the contracts the master can see and a count of the others; the dialog then
 * lists them and asks for a successor among the active users, who becomes manager and joins the groups
 * needed, in the same transaction as the revocation.
 */
export function RevokeDialog({ user, onClose, withStepUp }: { user: TeamUser | null; onClose: () => void; withStepUp: WithStepUp }) {
  const { t } = useTranslation('team');
  const { t: common } = useTranslation();
  const queryClient = useQueryClient();
  const users = useUsers();
  const [handover, setHandover] = useState<ContractsInTheWay | null>(null);
  const [successorId, setSuccessorId] = useState('');
  const [successorError, setSuccessorError] = useState<string | null>(null);

  const revoke = useMutation({
    mutationFn: ({ id, successor }: { id: string; successor?: string }) =>
      withStepUp(
        () =>
          unwrap(
            api.POST('/api/v1/users/{id}/revoke', {
              params: { path: { id } },
              body: successor ? { successorId: successor } : {},
            }),
          ),
        t('revoke.stepUpReason'),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: usersQuery.queryKey });
      await queryClient.invalidateQueries({ queryKey: groupsQuery.queryKey });
    },
    onError: (problem) => {
      if (isProblem(problem, 'handover_required')) setHandover(contractsInTheWay(problem.body));
    },
  });

  function close() {
    onClose();
    revoke.reset();
    setHandover(null);
    setSuccessorId('');
    setSuccessorError(null);
  }

  function submit() {
    if (!user) return;
    if (handover) {
      if (!successorId) return setSuccessorError(t('revoke.successorRequired'));
      setSuccessorError(null);
      return revoke.mutate({ id: user.id, successor: successorId });
    }
    revoke.mutate({ id: user.id });
  }

  const candidates = activeUsers(users.data, user?.id);
  const successorName = candidates.find((candidate) => candidate.id === revoke.variables?.successor)?.name;
  const error = isProblem(revoke.error, 'handover_required') ? null : revoke.error;

  return (
    <Dialog opened={user !== null} onClose={close} title={t('revoke.title', { name: user?.name ?? '' })} centered size="lg">
      {user && (
        <Stack gap="md">
          {revoke.data ? (
            <Alert variant="outline" color="teal.9" role="status" title={t('revoke.done', { name: user.name })}>
              {revoke.data.handedOver.contracts > 0 && successorName
                ? t('revoke.handedOver', { count: revoke.data.handedOver.contracts, successor: successorName })
                : t('revoke.nothingHandedOver')}
            </Alert>
          ) : (
            <>
              <Text size="sm">{t('revoke.body', { name: user.name })}</Text>
              {isProblem(error, 'last_master') ? (
                <Alert variant="outline" color="red.9" role="alert">
                  {t('revoke.lastMaster', { name: user.name })}
                </Alert>
              ) : (
                <ProblemAlert error={error} />
              )}
              {handover && (
                <Stack gap="sm" role="group" aria-label={t('revoke.handoverTitle')}>
                  <Alert variant="outline" color="indigo.9" title={t('revoke.handoverTitle')}>
                    <ContractsList found={handover} intro={t('revoke.handoverIntro', { name: user.name })} />
                  </Alert>
                  <NativeSelect
                    label={t('revoke.successor')}
                    description={t('revoke.successorHint')}
                    value={successorId}
                    error={successorError}
                    onChange={(event) => setSuccessorId(event.currentTarget.value)}
                    data={[
                      { value: '', label: t('revoke.chooseSuccessor'), disabled: true },
                      ...candidates.map((candidate) => ({ value: candidate.id, label: `${candidate.name} (${candidate.email})` })),
                    ]}
                  />
                </Stack>
              )}
            </>
          )}
          <Group justify="flex-end">
            {revoke.data ? (
              <Button onClick={close}>{common('actions.close')}</Button>
            ) : (
              <>
                <Button variant="default" onClick={close}>
                  {common('actions.cancel')}
                </Button>
                <Button color="red" aria-busy={revoke.isPending} onClick={submit}>
                  {handover ? t('revoke.submitWithHandover') : t('revoke.submit')}
                </Button>
              </>
            )}
          </Group>
        </Stack>
      )}
    </Dialog>
  );
}
