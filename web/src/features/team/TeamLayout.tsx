import { Anchor, Button, Group, List, Stack, Text } from '@mantine/core';
import { Link, useRouterState } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../app/session';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { TeamGuide } from './TeamGuide';
import type { ContractsInTheWay } from './queries';

const SECTIONS = [
  { to: '/team', label: 'sections.users' },
  { to: '/team/groups', label: 'sections.groups' },
  { to: '/team/audit', label: 'sections.audit' },
] as const;

/**
 * The frame of the three Team screens (users, access groups, audit trail): one h1, the sections as links
 * with their own URLs, and the guide for masters. A member who opens a Team URL is told whose screens
 * these are instead of seeing buttons the server would refuse.
 */
export function TeamLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation('team');
  const me = useMe();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  if (!me) return null;
  if (me.user.role !== 'master') {
    return (
      <Stack gap="md">
        <PageTitle title={t('title')} />
        <EmptyState title={t('mastersOnly.title')} body={t('mastersOnly.body')} />
      </Stack>
    );
  }
  return (
    <Stack gap="md">
      <PageTitle title={t('title')} />
      <Group component="nav" aria-label={t('sections.label')} gap="xs" wrap="wrap">
        {SECTIONS.map((section) => {
          const current = pathname === section.to;
          return (
            <Button
              key={section.to}
              component={Link}
              to={section.to}
              size="sm"
              variant={current ? 'filled' : 'default'}
              aria-current={current ? 'page' : undefined}
            >
              {t(section.label)}
            </Button>
          );
        })}
      </Group>
      <TeamGuide />
      {children}
    </Stack>
  );
}

/**
 * The contracts a 409 names (handover_required, group_in_use), each a link to its page, and how many more
 * exist that the master may not see: their existence is admitted, never their titles.
 */
export function ContractsList({ found, intro }: { found: ContractsInTheWay; intro?: string }) {
  const { t } = useTranslation('team');
  return (
    <Stack gap={4}>
      {intro && <Text size="sm">{intro}</Text>}
      {found.contracts.length > 0 && (
        <List size="sm" spacing={2} aria-label={t('contracts.listLabel')}>
          {found.contracts.map((contract) => (
            <List.Item key={contract.id}>
              <ContractLink id={contract.id}>{contract.title}</ContractLink>
              {contract.managed && (
                <Text span size="sm" c="gray.7">
                  {' '}
                  {t('contracts.managed')}
                </Text>
              )}
            </List.Item>
          ))}
        </List>
      )}
      {found.hiddenContractCount > 0 && (
        <Text size="sm">
          {found.contracts.length > 0
            ? t('contracts.andHidden', { count: found.hiddenContractCount })
            : t('contracts.onlyHidden', { count: found.hiddenContractCount })}
        </Text>
      )}
    </Stack>
  );
}

/** A link to a contract's page, styled as Mantine's Anchor and routed by the router. */
export function ContractLink({ id, children }: { id: string; children: ReactNode }) {
  return (
    <Anchor size="sm" renderRoot={(props) => <Link {...props} to="/contracts/$contractId" params={{ contractId: id }} />}>
      {children}
    </Anchor>
  );
}
