import { Button, Skeleton, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import { api, unwrap } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';

const PAGE = 200;

/** Holdings of all products: quantities of active contracts per product, in the vendor's blocks. */
export function ProductsPage() {
  const { t } = useTranslation('insight');
  const { t: tc } = useTranslation();
  const format = useFormatters();
  const holdings = useInfiniteQuery({
    queryKey: ['licenses', { limit: PAGE }],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/v1/licenses', { params: { query: { limit: PAGE, cursor: pageParam } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = holdings.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageTitle title={t('holdings.title')} />
      <Text c="dimmed" mb="md">
        {t('holdings.intro')}
      </Text>
      <section aria-label={t('holdings.title')} aria-busy={holdings.isPending ? true : undefined}>
        {holdings.isPending ? (
          <Stack gap="xs">
            {[0, 1, 2].map((row) => (
              <Skeleton key={row} height={32} />
            ))}
          </Stack>
        ) : holdings.isError ? (
          <ProblemAlert error={holdings.error} title={t('loadFailed')} />
        ) : rows.length === 0 ? (
          <EmptyState title={t('holdings.empty')} action={<AnchorLink to="/contracts">{t('holdings.toContracts')}</AnchorLink>} />
        ) : (
          <Stack gap="md">
            <Table.ScrollContainer minWidth={640}>
              <Table striped fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('holdings.product')}</Table.Th>
                    <Table.Th scope="col">{t('holdings.vendor')}</Table.Th>
                    <Table.Th scope="col">{t('holdings.metric')}</Table.Th>
                    <Table.Th scope="col" className="num">
                      {t('holdings.quantity')}
                    </Table.Th>
                    <Table.Th scope="col" className="num">
                      {t('holdings.blocks')}
                    </Table.Th>
                    <Table.Th scope="col" className="num">
                      {t('holdings.pendingProposals')}
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((row) => (
                    <Table.Tr key={row.product.id}>
                      <Table.Th scope="row" fw={400}>
                        <AnchorLink to="/products/$productId" params={{ productId: row.product.id }}>
                          {row.product.name}
                        </AnchorLink>
                      </Table.Th>
                      <Table.Td>
                        <AnchorLink to="/vendors/$vendorId" params={{ vendorId: row.vendor.id }}>
                          {row.vendor.name}
                        </AnchorLink>
                      </Table.Td>
                      <Table.Td>{t(`metric.${row.metric}`, { defaultValue: row.metric })}</Table.Td>
                      <Table.Td className="num">{format.integer(row.quantity)}</Table.Td>
                      <Table.Td className="num">
                        {t('holdings.blocksOf', { blocks: format.integer(row.blocks), size: format.integer(row.blockSize) })}
                      </Table.Td>
                      <Table.Td className="num">
                        {row.pendingProposals.length === 0
                          ? t('holdings.none')
                          : format.integer(row.pendingProposals.reduce((sum, proposal) => sum + proposal.quantity, 0))}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {holdings.hasNextPage && (
              <Button variant="default" onClick={() => void holdings.fetchNextPage()} loading={holdings.isFetchingNextPage} w="fit-content">
                {tc('actions.loadMore')}
              </Button>
            )}
          </Stack>
        )}
      </section>
    </>
  );
}
