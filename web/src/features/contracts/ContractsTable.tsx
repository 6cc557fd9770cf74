import { Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';
import { DaysLeftBadge } from '../../components/DaysLeftBadge';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { AnchorLink, noticeDeadline, Restricted, type ContractFilters } from './shared';

export type ContractSummary = Success<'/api/v1/contracts'>['items'][number];
export const PAGE_SIZE = 50;

export function useContracts(filters: ContractFilters) {
  return useInfiniteQuery({
    queryKey: ['contracts', filters],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/contracts', {
          params: { query: { ...filters, q: filters.q || undefined, cursor: pageParam, limit: PAGE_SIZE } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/**
 * Contracts and proposals as a dense table, newest first, 50 at a time with "Load more" (keyset paging).
 * Grouped by vendor, each vendor's rows sit under its name in the order they arrived.
 */
export function ContractsTable({
  filters,
  showVendor = true,
  groupByVendor = false,
  empty,
}: {
  filters: ContractFilters;
  showVendor?: boolean;
  groupByVendor?: boolean;
  empty?: React.ReactNode;
}) {
  const { t } = useTranslation('vault');
  const contracts = useContracts(filters);
  const items = contracts.data?.pages.flatMap((page) => page.items) ?? [];
  if (contracts.isError) return <ProblemAlert error={contracts.error} />;
  if (contracts.isPending) return <Text c="dimmed">{t('loading', { ns: 'common' })}</Text>;
  if (items.length === 0) return <>{empty ?? <Text c="dimmed">{t('contracts.noMatch')}</Text>}</>;

  const sections = groupByVendor ? byVendor(items) : [{ vendorId: '', vendorName: '', rows: items }];
  const columns = showVendor && !groupByVendor ? 7 : 6;
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={820}>
        <Table striped highlightOnHover verticalSpacing={6}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('contract.title')}</Table.Th>
              {showVendor && !groupByVendor && <Table.Th>{t('contract.vendor')}</Table.Th>}
              <Table.Th>{t('contract.status')}</Table.Th>
              <Table.Th>{t('contract.term')}</Table.Th>
              <Table.Th>{t('contract.noticeDeadline')}</Table.Th>
              <Table.Th ta="right">{t('contract.netTotal')}</Table.Th>
              <Table.Th>{t('contract.visibility')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sections.map((section) => (
              <Fragment key={section.vendorId}>
                {groupByVendor && (
                  <Table.Tr>
                    <Table.Th colSpan={columns} scope="colgroup" bg="gray.1">
                      <AnchorLink to="/vendors/$vendorId" params={{ vendorId: section.vendorId }} fw={600}>
                        {section.vendorName}
                      </AnchorLink>
                    </Table.Th>
                  </Table.Tr>
                )}
                {section.rows.map((contract) => (
                  <ContractRow key={contract.id} contract={contract} showVendor={showVendor && !groupByVendor} />
                ))}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group gap="sm">
        <Text size="sm" c="dimmed" role="status">
          {t('contracts.shown', { count: items.length })}
        </Text>
        {contracts.hasNextPage && (
          <Button variant="default" onClick={() => void contracts.fetchNextPage()} loading={contracts.isFetchingNextPage}>
            {t('actions.loadMore', { ns: 'common' })}
          </Button>
        )}
      </Group>
    </Stack>
  );
}

function byVendor(items: ContractSummary[]) {
  const sections = new Map<string, { vendorId: string; vendorName: string; rows: ContractSummary[] }>();
  for (const item of items) {
    const section = sections.get(item.vendorId) ?? { vendorId: item.vendorId, vendorName: item.vendorName, rows: [] };
    section.rows.push(item);
    sections.set(item.vendorId, section);
  }
  return [...sections.values()].sort((a, b) => a.vendorName.localeCompare(b.vendorName));
}

export function StatusBadge({ kind, status }: { kind: string; status: string }) {
  const { t } = useTranslation('vault');
  const color = status === 'active' || status === 'accepted' ? 'green' : status === 'pending' ? 'blue' : 'gray';
  return (
    // Badges keep their words (global.css) and stack when the column is narrow, rather than push the table wide.
    <Group gap={4}>
      {kind === 'proposal' && (
        <Badge variant="outline" color="indigo" tt="none">
          {t('kind.proposal')}
        </Badge>
      )}
      <Badge variant="dot" color={color} tt="none">
        {t(`status.${status}`)}
      </Badge>
    </Group>
  );
}

function ContractRow({ contract, showVendor }: { contract: ContractSummary; showVendor: boolean }) {
  const format = useFormatters();
  const deadline = noticeDeadline(contract);
  return (
    <Table.Tr>
      <Table.Td>
        <AnchorLink to="/contracts/$contractId" params={{ contractId: contract.id }}>
          {contract.title}
        </AnchorLink>
        {contract.reference && (
          <Text size="xs" c="dimmed">
            {contract.reference}
          </Text>
        )}
      </Table.Td>
      {showVendor && (
        <Table.Td>
          <AnchorLink to="/vendors/$vendorId" params={{ vendorId: contract.vendorId }} size="sm">
            {contract.vendorName}
          </AnchorLink>
        </Table.Td>
      )}
      <Table.Td>
        <StatusBadge kind={contract.kind} status={contract.status} />
      </Table.Td>
      <Table.Td>
        <Text size="sm" className="num" ta="left">
          {format.date(contract.startsOn)} – {contract.endsOn ? format.date(contract.endsOn) : '…'}
        </Text>
      </Table.Td>
      <Table.Td>
        {deadline ? (
          <Group gap={6}>
            <Text size="sm" className="num">
              {format.date(deadline)}
            </Text>
            {contract.kind === 'contract' && contract.status === 'active' && <DaysLeftBadge date={deadline} />}
          </Group>
        ) : (
          '–'
        )}
      </Table.Td>
      <Table.Td ta="right" className="num">
        {format.money(contract.totals.net, contract.totals.currency)}
      </Table.Td>
      <Table.Td>
        <Restricted groupIds={contract.groupIds} />
      </Table.Td>
    </Table.Tr>
  );
}
