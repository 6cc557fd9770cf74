import { Badge, Button, Group, List, Paper, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import { api, unwrap } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { Money } from '../../components/Money';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { PriceHistoryChart, type PricePoint } from './PriceHistoryChart';
import { productHoldingQuery, productQuery, vendorMetricsQuery, vendorQuery, type Holding } from './queries';

const HISTORY_PAGE = 200;

/** A product: what is held (quantities in the vendor's blocks), its price history, and its licence metric. */
export function ProductPage() {
  const { t } = useTranslation('insight');
  const { productId } = useParams({ from: '/signed-in/products/$productId' });
  const product = useQuery(productQuery(productId));
  const vendorId = product.data?.vendorId;
  const vendor = useQuery({ ...vendorQuery(vendorId ?? ''), enabled: vendorId !== undefined });

  if (product.isError) {
    return (
      <>
        <PageTitle title={t('product.title')} />
        <ProblemAlert error={product.error} title={t('loadFailed')} />
      </>
    );
  }
  return (
    <>
      <PageTitle title={product.data?.name ?? t('product.title')} />
      <Group gap="md" mb="lg" aria-busy={product.isPending || vendor.isPending ? true : undefined}>
        {product.data && (
          <>
            {vendor.data && (
              <Text size="sm">
                {t('product.vendor')}:{' '}
                <AnchorLink to="/vendors/$vendorId" params={{ vendorId: vendor.data.id }}>
                  {vendor.data.name}
                </AnchorLink>
              </Text>
            )}
            {product.data.sku && (
              <Text size="sm" c="dimmed">
                {t('product.sku', { sku: product.data.sku })}
              </Text>
            )}
          </>
        )}
      </Group>
      <Stack gap="xl">
        {product.data ? (
          <>
            <HoldingSection vendorId={product.data.vendorId} productId={productId} />
            <PriceHistorySection productId={productId} />
            <MetricSection vendorId={product.data.vendorId} vendorName={vendor.data?.name ?? ''} metric={product.data.metric} />
          </>
        ) : (
          <Skeleton height={120} aria-busy="true" />
        )}
      </Stack>
    </>
  );
}

function Section({ id, title, busy, children }: { id: string; title: string; busy: boolean; children: ReactNode }) {
  return (
    <section aria-labelledby={`product-${id}`} aria-busy={busy ? true : undefined}>
      <Title order={2} size="h4" id={`product-${id}`} mb="sm">
        {title}
      </Title>
      {busy ? <Skeleton height={80} /> : children}
    </section>
  );
}

function HoldingSection({ vendorId, productId }: { vendorId: string; productId: string }) {
  const { t } = useTranslation('insight');
  const holding = useQuery(productHoldingQuery(vendorId, productId));
  return (
    <Section id="holdings" title={t('product.holdingsTitle')} busy={holding.isPending}>
      {holding.isError ? (
        <ProblemAlert error={holding.error} title={t('loadFailed')} />
      ) : holding.data ? (
        <HoldingFacts holding={holding.data} />
      ) : (
        <Text c="dimmed">{t('product.noHoldings')}</Text>
      )}
    </Section>
  );
}

function HoldingFacts({ holding }: { holding: Holding }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  const facts: Array<[string, string]> = [
    [t('holdings.quantity'), format.integer(holding.quantity)],
    [t('holdings.blocks'), t('holdings.blocksOf', { blocks: format.integer(holding.blocks), size: format.integer(holding.blockSize) })],
    [t('holdings.metric'), t(`metric.${holding.metric}`, { defaultValue: holding.metric })],
  ];
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm" component="dl" m={0}>
        {facts.map(([label, value]) => (
          <Paper key={label} withBorder p="sm" radius="sm">
            <Text component="dt" size="sm" c="dimmed">
              {label}
            </Text>
            <Text component="dd" m={0} fw={700} fz="lg">
              {value}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
      <Text size="sm" fw={600}>
        {t('holdings.contracts')}
      </Text>
      <List size="sm" spacing={2}>
        {holding.contracts.map((contract) => (
          <List.Item key={contract.id}>
            <AnchorLink to="/contracts/$contractId" params={{ contractId: contract.id }}>
              {contract.title}
            </AnchorLink>{' '}
            <Text span className="num">
              × {format.integer(contract.quantity)}
            </Text>
          </List.Item>
        ))}
      </List>
      {holding.pendingProposals.length > 0 && (
        <>
          <Text size="sm" fw={600}>
            {t('product.pendingNote')}
          </Text>
          <List size="sm" spacing={2}>
            {holding.pendingProposals.map((proposal) => (
              <List.Item key={proposal.id}>
                <AnchorLink to="/contracts/$contractId" params={{ contractId: proposal.id }}>
                  {proposal.title}
                </AnchorLink>{' '}
                <Text span className="num">
                  × {format.integer(proposal.quantity)}
                </Text>
              </List.Item>
            ))}
          </List>
        </>
      )}
    </Stack>
  );
}

/** Price points grouped by currency: one chart per currency, never one axis for two currencies. */
function byCurrency(points: readonly PricePoint[]): Array<[string, PricePoint[]]> {
  const groups = new Map<string, PricePoint[]>();
  for (const point of points) groups.set(point.currency, [...(groups.get(point.currency) ?? []), point]);
  return [...groups];
}

function PriceHistorySection({ productId }: { productId: string }) {
  const { t } = useTranslation('insight');
  const { t: tc } = useTranslation();
  const format = useFormatters();
  const history = useInfiniteQuery({
    queryKey: ['products', productId, 'price-history'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/products/{id}/price-history', {
          params: { path: { id: productId }, query: { limit: HISTORY_PAGE, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const points = history.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Section id="prices" title={t('product.priceTitle')} busy={history.isPending}>
      {history.isError ? (
        <ProblemAlert error={history.error} title={t('loadFailed')} />
      ) : points.length === 0 ? (
        <EmptyState title={t('product.priceEmpty')} action={<AnchorLink to="/contracts">{t('holdings.toContracts')}</AnchorLink>} />
      ) : (
        <Stack gap="md">
          {byCurrency(points).map(([currency, inCurrency]) => (
            <PriceHistoryChart key={currency} currency={currency} points={inCurrency} />
          ))}
          <Table.ScrollContainer minWidth={640}>
            <Table striped fz="sm">
              <Table.Caption>{t('product.caption')}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('product.date')}</Table.Th>
                  <Table.Th scope="col">{t('product.document')}</Table.Th>
                  <Table.Th scope="col">{t('product.kind')}</Table.Th>
                  <Table.Th scope="col">{t('product.status')}</Table.Th>
                  <Table.Th scope="col" className="num">
                    {t('product.quantity')}
                  </Table.Th>
                  <Table.Th scope="col" className="num">
                    {t('product.listUnitPrice')}
                  </Table.Th>
                  <Table.Th scope="col" className="num">
                    {t('product.netUnitPrice')}
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {points.map((point) => (
                  <Table.Tr key={point.lineItemId}>
                    <Table.Td className="num" ta="left">
                      {format.date(point.date.slice(0, 10))}
                    </Table.Td>
                    <Table.Td>
                      <AnchorLink to="/contracts/$contractId" params={{ contractId: point.contractId }}>
                        {point.title}
                      </AnchorLink>
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        variant={point.kind === 'proposal' ? 'outline' : 'light'}
                        color={point.kind === 'proposal' ? 'orange' : 'indigo'}
                        tt="none"
                      >
                        {point.kind === 'proposal' ? '△ ' : '● '}
                        {t(`kind.${point.kind}`)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{t(`status.${point.status}`, { defaultValue: point.status })}</Table.Td>
                    <Table.Td className="num">{format.integer(point.quantity)}</Table.Td>
                    <Table.Td className="num">
                      <Money amount={point.listUnitPrice} currency={point.currency} />
                    </Table.Td>
                    <Table.Td className="num">
                      <Money amount={point.netUnitPrice} currency={point.currency} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {history.hasNextPage && (
            <Button variant="default" onClick={() => void history.fetchNextPage()} loading={history.isFetchingNextPage} w="fit-content">
              {tc('actions.loadMore')}
            </Button>
          )}
        </Stack>
      )}
    </Section>
  );
}

function MetricSection({ vendorId, vendorName, metric }: { vendorId: string; vendorName: string; metric: string }) {
  const { t } = useTranslation('insight');
  const metrics = useQuery(vendorMetricsQuery(vendorId));
  return (
    <Section id="metric" title={t('product.metricTitle')} busy={metrics.isPending}>
      <Text mb="sm">
        {t('product.productMetric')} <strong>{t(`metric.${metric}`, { defaultValue: metric })}</strong>
      </Text>
      <Title order={3} size="h5" mb="xs">
        {t('product.vendorDefinitions', { vendor: vendorName })}
      </Title>
      {metrics.isError ? (
        <ProblemAlert error={metrics.error} title={t('loadFailed')} />
      ) : !metrics.data || metrics.data.items.length === 0 ? (
        <Text c="dimmed">{t('product.noDefinitions')}</Text>
      ) : (
        <Stack gap="xs" component="dl" m={0}>
          {metrics.data.items.map((definition) => (
            <Paper key={definition.metric} withBorder p="sm" radius="sm" bg={definition.metric === metric ? 'indigo.0' : undefined}>
              <Text component="dt" fw={600} size="sm">
                {t(`metric.${definition.metric}`, { defaultValue: definition.metric })}
                {definition.metric === metric && <> ({t('product.thisProduct')})</>}
              </Text>
              <Text component="dd" m={0} size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {definition.definition}
              </Text>
            </Paper>
          ))}
        </Stack>
      )}
    </Section>
  );
}
