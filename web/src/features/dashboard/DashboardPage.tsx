import { Button, Group, Paper, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';
import { useIsMaster } from '../../app/session';
import { EmptyState } from '../../components/EmptyState';
import { Money } from '../../components/Money';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { DeadlineTimeline } from '../deadlines/DeadlineTimeline';
import { SpendByVendor } from './SpendChart';

type Dashboard = Success<'/api/v1/dashboard'>;

export const dashboardQuery = {
  queryKey: ['dashboard'],
  queryFn: () => unwrap(api.GET('/api/v1/dashboard')),
};

/** A company with nothing in it yet: no vendor, product, contract or proposal it can see. */
export function isEmptyCompany(counts: Dashboard['counts']): boolean {
  return counts.vendors === 0 && counts.products === 0 && counts.contracts === 0 && counts.pendingProposals === 0;
}

/**
 * The signed-in start page opens on what needs a decision (UI.md): pending proposals first, then the next
 * deadlines, then spend per vendor and currency, then the counts. An empty company sees its first steps.
 */
export function DashboardPage() {
  const { t } = useTranslation('insight');
  const dashboard = useQuery(dashboardQuery);
  const loading = dashboard.isPending;
  const data = dashboard.data;

  if (data && isEmptyCompany(data.counts)) {
    return (
      <>
        <PageTitle title={t('dashboard.title')} />
        <FirstSteps />
      </>
    );
  }

  return (
    <>
      <PageTitle title={t('dashboard.title')} />
      {dashboard.isError && <ProblemAlert error={dashboard.error} title={t('loadFailed')} />}
      <Stack gap="xl">
        <Section id="decisions" title={t('dashboard.decisions.title')} loading={loading}>
          {data && <PendingProposals proposals={data.pendingProposals} />}
        </Section>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
          <Section
            id="deadlines"
            title={t('dashboard.deadlines.title')}
            loading={loading}
            more={
              <AnchorLink to="/deadlines" size="sm">
                {t('dashboard.deadlines.all')}
              </AnchorLink>
            }
          >
            {data &&
              (data.nextDeadlines.length === 0 ? (
                <Text c="dimmed">{t('dashboard.deadlines.empty')}</Text>
              ) : (
                <DeadlineTimeline deadlines={data.nextDeadlines} />
              ))}
          </Section>
          <Section id="spend" title={t('dashboard.spend.title')} loading={loading}>
            {data &&
              (data.spendByVendor.length === 0 ? (
                <Text c="dimmed">{t('dashboard.spend.empty')}</Text>
              ) : (
                <SpendByVendor rows={data.spendByVendor} />
              ))}
          </Section>
        </SimpleGrid>
        <Section id="counts" title={t('dashboard.counts.title')} loading={loading}>
          {data && <Counts counts={data.counts} />}
        </Section>
      </Stack>
    </>
  );
}

/** A dashboard section: a heading, skeletons with aria-busy while loading (bench/web.ts waits for none). */
function Section({
  id,
  title,
  loading,
  more,
  children,
}: {
  id: string;
  title: string;
  loading: boolean;
  more?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={`dashboard-${id}`} aria-busy={loading ? true : undefined}>
      <Group justify="space-between" align="baseline" mb="sm">
        <Title order={2} size="h4" id={`dashboard-${id}`}>
          {title}
        </Title>
        {more}
      </Group>
      {loading ? (
        <Stack gap="xs">
          <Skeleton height={20} />
          <Skeleton height={20} />
          <Skeleton height={20} width="70%" />
        </Stack>
      ) : (
        children
      )}
    </section>
  );
}

function PendingProposals({ proposals }: { proposals: Dashboard['pendingProposals'] }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  if (proposals.length === 0) return <Text c="dimmed">{t('dashboard.decisions.empty')}</Text>;
  return (
    <Stack gap="xs" component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {proposals.map((proposal) => (
        <Paper key={proposal.id} component="li" withBorder p="sm" radius="sm">
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Stack gap={0}>
              <AnchorLink to="/contracts/$contractId" params={{ contractId: proposal.id }} fw={600}>
                {proposal.title}
              </AnchorLink>
              <Text size="sm" c="dimmed">
                {t('dashboard.decisions.from', { vendor: proposal.vendorName })} ·{' '}
                {t('dashboard.decisions.received', { date: format.dateTime(proposal.createdAt) })}
                {proposal.supersedesId !== null && <> · {t('dashboard.decisions.newVersion')}</>}
              </Text>
            </Stack>
            <Text fw={600}>
              <Money amount={proposal.total} currency={proposal.currency} />
            </Text>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}

function Counts({ counts }: { counts: Dashboard['counts'] }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  const tiles: Array<{ key: keyof Dashboard['counts']; to: string }> = [
    { key: 'contracts', to: '/contracts' },
    { key: 'pendingProposals', to: '/contracts' },
    { key: 'vendors', to: '/vendors' },
    { key: 'products', to: '/products' },
    { key: 'holdings', to: '/products' },
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm" component="dl" m={0}>
      {tiles.map(({ key, to }) => (
        <Paper key={key} withBorder p="sm" radius="sm">
          <Text component="dt" size="sm" c="dimmed">
            <AnchorLink to={to} c="inherit" underline="hover">
              {t(`dashboard.counts.${key}`)}
            </AnchorLink>
          </Text>
          <Text component="dd" m={0} fz={26} fw={700} className="num" ta="left">
            {format.integer(counts[key])}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}

/** What an empty company does first: add a vendor, or (a master) load the demo data to look around. */
function FirstSteps() {
  const { t } = useTranslation('insight');
  const queryClient = useQueryClient();
  const isMaster = useIsMaster();
  const loadDemo = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/demo-data')),
    // Everything cached may have changed: vendors, contracts, deadlines, holdings.
    onSuccess: () => queryClient.invalidateQueries(),
  });
  return (
    <section aria-label={t('dashboard.start.title')}>
      <ProblemAlert error={loadDemo.error} />
      <EmptyState
        title={t('dashboard.start.title')}
        body={isMaster ? t('dashboard.start.body') : t('dashboard.start.memberBody')}
        action={
          <Group gap="sm">
            <Button component={Link} to="/vendors">
              {t('dashboard.start.addVendor')}
            </Button>
            {isMaster && (
              <Button variant="default" loading={loadDemo.isPending} onClick={() => loadDemo.mutate()}>
                {t('dashboard.start.loadDemo')}
              </Button>
            )}
          </Group>
        }
      />
    </section>
  );
}
