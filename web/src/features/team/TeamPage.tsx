import { Badge, Button, Group, Loader, Menu, Stack, Switch, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useStepUp } from '../auth/step-up';
import { RevokeDialog } from './RevokeDialog';
import { TeamLayout } from './TeamLayout';
import { EndSessionsDialog, InviteDialog, NewLinkDialog, RoleDialog } from './UserDialogs';
import { byId, useGroups, useUsers, type TeamUser } from './queries';

type UserDialog = { kind: 'role' | 'link' | 'sessions' | 'revoke'; user: TeamUser };

// Dark shades in outline: the words carry the meaning, and the text keeps AA contrast (axe color-contrast).
const STATUS_COLOR: Record<string, string> = { active: 'teal.9', pending: 'indigo.9', revoked: 'gray.9' };
const STATUS_ORDER: Record<string, number> = { active: 0, pending: 1, revoked: 2 };

/** `/team`: the company's users with their role, status and groups; invite, change role, end sessions, revoke. */
export function TeamPage() {
  return (
    <TeamLayout>
      <UsersSection />
    </TeamLayout>
  );
}

function UsersSection() {
  const { t } = useTranslation('team');
  const me = useMe()!;
  const users = useUsers();
  const groups = useGroups();
  const { withStepUp, stepUpDialog } = useStepUp();
  const [inviting, setInviting] = useState(false);
  const [dialog, setDialog] = useState<UserDialog | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const groupsById = byId(groups.data);

  if (users.isPending) return <Loader size="sm" aria-label={t('users.loading')} />;
  if (users.isError) return <ProblemAlert error={users.error} />;

  const revokedCount = users.data.filter((user) => user.status === 'revoked').length;
  const shown = users.data
    .filter((user) => showRevoked || user.status !== 'revoked')
    .sort((a, b) => (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) || a.name.localeCompare(b.name));
  const close = () => setDialog(null);

  return (
    <Stack gap="sm" component="section" aria-label={t('sections.users')}>
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="gray.7">
          {t('users.intro')}
        </Text>
        <Button onClick={() => setInviting(true)}>{t('users.invite')}</Button>
      </Group>
      {revokedCount > 0 && (
        <Switch
          label={t('users.showRevoked', { count: revokedCount })}
          checked={showRevoked}
          onChange={(event) => setShowRevoked(event.currentTarget.checked)}
        />
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table verticalSpacing="xs" striped aria-label={t('users.tableLabel')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('users.name')}</Table.Th>
              <Table.Th>{t('users.email')}</Table.Th>
              <Table.Th>{t('users.role')}</Table.Th>
              <Table.Th>{t('users.status')}</Table.Th>
              <Table.Th>{t('users.groups')}</Table.Th>
              <Table.Th>
                <span className="visually-hidden">{t('users.actions')}</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((user) => {
              const names = user.groupIds.map((id) => groupsById.get(id)?.name).filter((name): name is string => Boolean(name));
              return (
                <Table.Tr key={user.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {user.name}
                    </Text>
                    {user.id === me.user.id && (
                      <Text size="xs" c="gray.7">
                        {t('users.you')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{user.email}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{t(`roles.${user.role}`)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[user.status] ?? 'gray.9'} variant="outline" tt="none">
                      {t(`statuses.${user.status}`, { defaultValue: user.status })}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{names.length > 0 ? names.join(', ') : '–'}</Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    {user.status !== 'revoked' && (
                      <UserActions user={user} isSelf={user.id === me.user.id} onChoose={(kind) => setDialog({ kind, user })} />
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      <InviteDialog opened={inviting} onClose={() => setInviting(false)} />
      <RoleDialog user={dialog?.kind === 'role' ? dialog.user : null} onClose={close} withStepUp={withStepUp} />
      <NewLinkDialog user={dialog?.kind === 'link' ? dialog.user : null} onClose={close} />
      <EndSessionsDialog user={dialog?.kind === 'sessions' ? dialog.user : null} onClose={close} withStepUp={withStepUp} />
      <RevokeDialog user={dialog?.kind === 'revoke' ? dialog.user : null} onClose={close} withStepUp={withStepUp} />
      {stepUpDialog}
    </Stack>
  );
}

function UserActions({ user, isSelf, onChoose }: { user: TeamUser; isSelf: boolean; onChoose: (kind: UserDialog['kind']) => void }) {
  const { t } = useTranslation('team');
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button size="xs" variant="default" aria-label={t('users.actionsFor', { name: user.name })}>
          {t('users.actions')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => onChoose('role')}>{t('users.changeRole')}</Menu.Item>
        {user.status === 'pending' && <Menu.Item onClick={() => onChoose('link')}>{t('users.newLink')}</Menu.Item>}
        {user.status === 'active' && !isSelf && <Menu.Item onClick={() => onChoose('sessions')}>{t('users.endSessions')}</Menu.Item>}
        {!isSelf && (
          <Menu.Item color="red" onClick={() => onChoose('revoke')}>
            {t('users.revoke')}
          </Menu.Item>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
