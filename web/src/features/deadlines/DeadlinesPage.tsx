import { Skeleton, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import { api, unwrap } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { DeadlineTimeline } from './DeadlineTimeline';

/** The API's own bound for one answer; a year of deadlines for a company fits well within it. */
const LIMIT = 500;

export const deadlinesYearQuery = {
  queryKey: ['deadlines', { withinDays: 365, limit: LIMIT }],
  queryFn: () => unwrap(api.GET('/api/v1/deadlines', { params: { query: { withinDays: 365, limit: LIMIT } } })),
};

/** Notice deadlines and contract ends of the next 12 months as a timeline by month, soonest first. */
export function DeadlinesPage() {
  const { t } = useTranslation('insight');
  const deadlines = useQuery(deadlinesYearQuery);
  return (
    <>
      <PageTitle title={t('deadlines.title')} />
      <Text c="dimmed" mb="md">
        {t('deadlines.intro')}
      </Text>
      <section aria-busy={deadlines.isPending ? true : undefined} aria-label={t('timeline.label')}>
        {deadlines.isPending ? (
          <Stack gap="sm">
            {[0, 1, 2, 3].map((row) => (
              <Skeleton key={row} height={48} />
            ))}
          </Stack>
        ) : deadlines.isError ? (
          <ProblemAlert error={deadlines.error} title={t('loadFailed')} />
        ) : deadlines.data.length === 0 ? (
          <EmptyState title={t('deadlines.empty')} action={<AnchorLink to="/contracts">{t('deadlines.toContracts')}</AnchorLink>} />
        ) : (
          <>
            <DeadlineTimeline deadlines={deadlines.data} headingOrder={2} />
            {deadlines.data.length === LIMIT && (
              <Text size="sm" c="dimmed" mt="md">
                {t('deadlines.truncated', { count: LIMIT })}
              </Text>
            )}
          </>
        )}
      </section>
    </>
  );
}
