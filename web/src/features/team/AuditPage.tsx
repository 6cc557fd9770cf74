import { Badge, Button, Loader, NativeSelect, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { DAY, validateAuditSearch, type AuditSearch } from './audit-search';
import { ContractLink, TeamLayout } from './TeamLayout';
import { byId, useGroups, useUsers, type AccessGroup, type AuditEvent, type TeamUser } from './queries';

/** The families of actions, as the filter groups them (`group.*`). */
const FAMILIES = ['user', 'invitation', 'group', 'contract', 'document', 'auth', 'session', 'audit'] as const;
const PAGE = 50;

export function actionKey(action: string): string {
  return `auditActions.${action.replace(/\./g, '_')}`;
}

/** `/team/audit`: who did what, when and from where, newest first; filtered by action, person and days. */
export function AuditPage() {
  return (
    <TeamLayout>
      <AuditSection />
    </TeamLayout>
  );
}

function AuditSection() {
  const { t } = useTranslation('team');
  const search = validateAuditSearch(useSearch({ strict: false }) as Record<string, unknown>);
  const navigate = useNavigate();
  const users = useUsers();
  const groups = useGroups();
  const actions = useQuery({ queryKey: ['audit-events', 'actions'], queryFn: () => unwrap(api.GET('/api/v1/audit-events/actions')) });
  const filters = { action: search.action, actorId: search.actor, from: search.from, to: search.to };
  const events = useInfiniteQuery({
    queryKey: ['audit-events', filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/audit-events', { params: { query: { ...definedOnly(filters), limit: PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  function setFilter(change: Partial<AuditSearch>) {
    void navigate({ to: '/team/audit', search: definedOnly({ ...search, ...change }), replace: true });
  }

  const usersById = byId(users.data);
  const groupsById = byId(groups.data);
  const actionOptions = [
    { value: '', label: t('audit.anyAction') },
    ...FAMILIES.map((family) => ({
      group: t(`auditFamilies.${family}`),
      items: [
        { value: `${family}.*`, label: t('audit.allOfFamily', { family: t(`auditFamilies.${family}`) }) },
        ...(actions.data?.items ?? [])
          .filter((action) => action.startsWith(`${family}.`))
          .map((action) => ({ value: action, label: t(actionKey(action), { defaultValue: action }) })),
      ],
    })),
  ];
  const people = [...(users.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const filtered = Object.values(filters).some((value) => value !== undefined);
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="sm" component="section" aria-label={t('sections.audit')}>
      <Text size="sm" c="gray.7">
        {t('audit.intro')}
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm" role="search" aria-label={t('audit.filters')}>
        <NativeSelect
          label={t('audit.action')}
          value={search.action ?? ''}
          data={actionOptions}
          onChange={(event) => setFilter({ action: event.currentTarget.value || undefined })}
        />
        <NativeSelect
          label={t('audit.actor')}
          value={search.actor ?? ''}
          data={[{ value: '', label: t('audit.anyone') }, ...people.map((user) => ({ value: user.id, label: user.name }))]}
          onChange={(event) => setFilter({ actor: event.currentTarget.value || undefined })}
        />
        <TextInput
          type="date"
          label={t('audit.from')}
          value={search.from ?? ''}
          max={search.to}
          onChange={(event) => setFilter({ from: DAY.test(event.currentTarget.value) ? event.currentTarget.value : undefined })}
        />
        <TextInput
          type="date"
          label={t('audit.to')}
          value={search.to ?? ''}
          min={search.from}
          onChange={(event) => setFilter({ to: DAY.test(event.currentTarget.value) ? event.currentTarget.value : undefined })}
        />
      </SimpleGrid>
      {filtered && (
        <div>
          <Button size="xs" variant="subtle" onClick={() => void navigate({ to: '/team/audit', search: {}, replace: true })}>
            {t('audit.clearFilters')}
          </Button>
        </div>
      )}
      {events.isPending ? (
        <Loader size="sm" aria-label={t('audit.loading')} />
      ) : items.length === 0 && events.isError ? (
        <ProblemAlert error={events.error} />
      ) : items.length === 0 ? (
        <EmptyState title={filtered ? t('audit.noneFiltered') : t('audit.none')} />
      ) : (
        <>
          {/* Focusable, so keyboard users can scroll the wide table on a phone (axe scrollable-region-focusable). */}
          <Table.ScrollContainer minWidth={820} type="native" tabIndex={0} aria-label={t('sections.audit')}>
            <Table verticalSpacing="xs" striped aria-label={t('audit.tableLabel')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('audit.when')}</Table.Th>
                  <Table.Th>{t('audit.who')}</Table.Th>
                  <Table.Th>{t('audit.what')}</Table.Th>
                  <Table.Th>{t('audit.target')}</Table.Th>
                  <Table.Th>{t('audit.outcome')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((event) => (
                  <AuditRow key={event.id} event={event} usersById={usersById} groupsById={groupsById} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Text size="sm" c="gray.7" role="status">
            {events.hasNextPage ? t('audit.shownMore', { count: items.length }) : t('audit.shownAll', { count: items.length })}
          </Text>
          {events.hasNextPage && (
            <div>
              <Button variant="default" aria-busy={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
                {t('audit.loadMore')}
              </Button>
            </div>
          )}
          <ProblemAlert error={events.error} />
        </>
      )}
    </Stack>
  );
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined && inner !== '')) as T;
}

const OUTCOME_COLOR = { success: 'teal.9', failure: 'red.9', denied: 'red.9' } as const;

function AuditRow({
  event,
  usersById,
  groupsById,
}: {
  event: AuditEvent;
  usersById: Map<string, TeamUser>;
  groupsById: Map<string, AccessGroup>;
}) {
  const { t } = useTranslation('team');
  const format = useFormatters();
  const actor = event.actorId ? usersById.get(event.actorId) : undefined;
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm" className="num" ta="left">
          {format.dateTime(event.occurredAt)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{actor?.name ?? (event.actorId ? t('audit.unknownPerson') : t('audit.noActor'))}</Text>
        {event.clientIp && (
          <Text size="xs" c="gray.7">
            {event.clientIp}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{t(actionKey(event.action), { defaultValue: event.action })}</Text>
        <EventDetails event={event} usersById={usersById} groupsById={groupsById} />
      </Table.Td>
      <Table.Td>
        <Target event={event} usersById={usersById} groupsById={groupsById} />
      </Table.Td>
      <Table.Td>
        <Badge color={OUTCOME_COLOR[event.outcome]} variant="outline" tt="none">
          {t(`outcomes.${event.outcome}`)}
        </Badge>
      </Table.Td>
    </Table.Tr>
  );
}

function Target({
  event,
  usersById,
  groupsById,
}: {
  event: AuditEvent;
  usersById: Map<string, TeamUser>;
  groupsById: Map<string, AccessGroup>;
}) {
  const { t } = useTranslation('team');
  if (!event.targetType || !event.targetId) return <Text size="sm">–</Text>;
  if (event.targetType === 'user') return <Text size="sm">{usersById.get(event.targetId)?.name ?? t('audit.unknownPerson')}</Text>;
  if (event.targetType === 'group') {
    const name = groupsById.get(event.targetId)?.name ?? (typeof event.details.name === 'string' ? event.details.name : undefined);
    return <Text size="sm">{name ?? t('audit.deletedGroup')}</Text>;
  }
  if (event.targetType === 'contract') return <ContractLink id={event.targetId}>{t('audit.openContract')}</ContractLink>;
  return <Text size="sm">{t(`targetTypes.${event.targetType}`, { defaultValue: t('targetTypes.other') })}</Text>;
}

/** A line saying what changed, for the events where the trail records it (roles, members, hand-overs). */
function EventDetails({
  event,
  usersById,
  groupsById,
}: {
  event: AuditEvent;
  usersById: Map<string, TeamUser>;
  groupsById: Map<string, AccessGroup>;
}) {
  const { t } = useTranslation('team');
  const details = event.details;
  const text = (key: string) => (typeof details[key] === 'string' ? (details[key] as string) : undefined);
  const person = (key: string) => usersById.get(text(key) ?? '')?.name ?? t('audit.unknownPerson');
  const role = (key: string) => (text(key) === 'master' || text(key) === 'member' ? t(`roles.${text(key)}`) : '');
  let line: string | null = null;
  switch (event.action) {
    case 'user.role_changed':
      line = t('auditDetails.roleChanged', { from: role('from'), to: role('to') });
      break;
    case 'group.member_added':
    case 'group.member_removed':
    case 'group.member_add_refused':
    case 'group.member_remove_refused':
      line = t('auditDetails.member', {
        name: person('userId'),
        group: groupsById.get(text('groupId') ?? '')?.name ?? t('audit.deletedGroup'),
      });
      break;
    case 'group.renamed':
      line = t('auditDetails.renamed', { from: text('from') ?? '', to: text('to') ?? '' });
      break;
    case 'user.contracts_handed_over':
      line = t('auditDetails.handedOver', {
        count: typeof details.contracts === 'number' ? details.contracts : 0,
        successor: person('successorId'),
      });
      break;
    case 'invitation.refused':
      line = text('email') ?? null;
      break;
    case 'contract.visibility_changed': {
      const after = Array.isArray(details.groupIdsAfter) ? (details.groupIdsAfter as unknown[]) : [];
      const names = after.map((id) => groupsById.get(String(id))?.name ?? t('audit.deletedGroup'));
      line = names.length > 0 ? t('auditDetails.restrictedTo', { groups: names.join(', ') }) : t('auditDetails.visibleToAll');
      break;
    }
  }
  if (!line) return null;
  return (
    <Text size="xs" c="gray.7">
      {line}
    </Text>
  );
}
