import { Anchor, Group, Text, Tooltip, type AnchorProps } from '@mantine/core';
import { createLink } from '@tanstack/react-router';
import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';

export const KINDS = ['contract', 'proposal'] as const;
export const STATUSES = ['active', 'expired', 'terminated', 'pending', 'accepted', 'rejected', 'superseded'] as const;
export const STATUSES_OF = {
  contract: ['active', 'expired', 'terminated'],
  proposal: ['pending', 'accepted', 'rejected', 'superseded'],
} as const;
export type Kind = (typeof KINDS)[number];
export type Status = (typeof STATUSES)[number];

export interface ContractFilters {
  vendorId?: string;
  kind?: Kind;
  status?: Status;
  q?: string;
}

/** The last day notice can be given: endsOn minus noticePeriodDays calendar days (API.md, deadlines). */
export function noticeDeadline(contract: { endsOn: string | null; noticePeriodDays: number | null }): string | null {
  if (contract.endsOn === null || contract.noticePeriodDays === null) return null;
  const [year, month, day] = contract.endsOn.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day - contract.noticePeriodDays)).toISOString().slice(0, 10);
}

/** Access groups, readable by any user; names for the ids a contract carries. */
export function useGroups() {
  return useQuery({
    queryKey: ['groups'],
    queryFn: () => unwrap(api.GET('/api/v1/groups', { params: { query: { limit: 500 } } })),
    staleTime: 60_000,
  });
}

export function useUsers() {
  return useQuery({
    queryKey: ['users', { status: 'active' }],
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { status: 'active', limit: 500 } } })),
    staleTime: 60_000,
  });
}

export function LockIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true" focusable="false">
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </svg>
  );
}

/** A restricted contract: a lock and the names of the groups that may see it, in words as well as the icon. */
export function Restricted({ groupIds }: { groupIds: readonly string[] }) {
  const { t } = useTranslation('vault');
  const groups = useGroups();
  if (groupIds.length === 0) return null;
  const names = groupIds.map((id) => groups.data?.items.find((group) => group.id === id)?.name ?? t('visibility.unknownGroup'));
  const label = t('visibility.restrictedTo', { groups: names.join(', ') });
  return (
    <Tooltip label={label}>
      <Group gap={4} wrap="nowrap" c="orange.9" component="span" aria-label={label} role="img">
        <LockIcon />
        <Text span size="xs">
          {names.join(', ')}
        </Text>
      </Group>
    </Tooltip>
  );
}

const AnchorBase = forwardRef<HTMLAnchorElement, AnchorProps & ComponentPropsWithoutRef<'a'>>((props, ref) => (
  <Anchor ref={ref} {...props} />
));
AnchorBase.displayName = 'AnchorBase';

/** A Mantine anchor that is a typed router link: `to` and `params` are checked against the screen map. */
export const AnchorLink = createLink(AnchorBase);
