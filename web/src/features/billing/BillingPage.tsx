import { Alert, Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';
import { meQuery, useIsMaster } from '../../app/session';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';

export type BillingOverview = Success<'/api/v1/billing'>;

/** After Stripe's Checkout the webhook may arrive a moment later: ask again until the plan has changed. */
const CHECKOUT_POLL_MS = 2_000;

/**
 * Billing (masters): plan, status, seats and the dates that matter, and the two ways to Stripe's own pages
 * (hosted Checkout, Customer Portal). No card data is ever shown or entered here: the buttons only send
 * the browser to the URL the server returns.
 */
export function BillingPage() {
  const { t } = useTranslation('billing');
  const isMaster = useIsMaster();
  const search = useSearch({ strict: false }) as { checkout?: string };
  const returnedFromCheckout = search.checkout === 'success';
  const queryClient = useQueryClient();
  const billing = useQuery({
    queryKey: ['billing'],
    queryFn: () => unwrap(api.GET('/api/v1/billing')),
    enabled: isMaster,
    refetchInterval: (query) => (returnedFromCheckout && query.state.data?.plan !== 'subscription' ? CHECKOUT_POLL_MS : false),
  });
  const redirectTo = useMutation({
    mutationFn: async (page: 'checkout' | 'portal') =>
      unwrap(page === 'checkout' ? api.POST('/api/v1/billing/checkout') : api.POST('/api/v1/billing/portal')),
    onSuccess: ({ url }) => window.location.assign(url),
  });
  const subscribed = billing.data?.plan === 'subscription';
  if (returnedFromCheckout && subscribed) void queryClient.invalidateQueries({ queryKey: meQuery.queryKey });

  if (!isMaster) {
    return (
      <>
        <PageTitle title={t('title')} />
        <Alert color="blue">{t('mastersOnly')}</Alert>
      </>
    );
  }

  return (
    <>
      <PageTitle title={t('title')} />
      <Stack gap="md" maw={720}>
        {search.checkout === 'cancelled' && (
          <Alert color="yellow" role="status">
            {t('checkout.cancelled')}
          </Alert>
        )}
        {returnedFromCheckout && (
          <Alert color={subscribed ? 'green' : 'blue'} role="status">
            {subscribed ? t('checkout.confirmed') : t('checkout.waiting')}
          </Alert>
        )}
        <ProblemAlert error={billing.error ?? redirectTo.error} />
        {billing.isPending && <Text>{t('loading', { ns: 'common' })}</Text>}
        {billing.data && <Overview billing={billing.data} />}
        {billing.data && (
          <Group>
            {billing.data.plan !== 'subscription' || billing.data.status === 'cancelled' || billing.data.status === 'expired' ? (
              <Button onClick={() => redirectTo.mutate('checkout')} loading={redirectTo.isPending && redirectTo.variables === 'checkout'}>
                {t('actions.subscribe')}
              </Button>
            ) : null}
            {billing.data.portalAvailable && (
              <Button
                variant="default"
                onClick={() => redirectTo.mutate('portal')}
                loading={redirectTo.isPending && redirectTo.variables === 'portal'}
              >
                {t('actions.portal')}
              </Button>
            )}
          </Group>
        )}
        <Text size="sm">{t('cardsAtStripe')}</Text>
      </Stack>
    </>
  );
}

function Overview({ billing }: { billing: BillingOverview }) {
  const { t } = useTranslation('billing');
  const format = useFormatters();
  const day = (timestamp: string) => format.date(timestamp.slice(0, 10));
  const rows: Array<[string, string]> = [
    [t('fields.plan'), t(`plan.${billing.plan}`)],
    [t('fields.status'), t(`status.${billing.status}`)],
    [t('fields.access'), t(`access.${billing.access}`)],
    [t('fields.seats'), t('seats', { count: billing.seats, formatted: format.integer(billing.seats) })],
  ];
  if (billing.subscribedSeats !== null && billing.subscribedSeats !== billing.seats)
    rows.push([t('fields.subscribedSeats'), format.integer(billing.subscribedSeats)]);
  if (billing.plan === 'trial') rows.push([t('fields.trialEndsAt'), day(billing.trialEndsAt)]);
  if (billing.currentPeriodEnd !== null) rows.push([t('fields.nextInvoice'), day(billing.currentPeriodEnd)]);
  if (billing.graceEndsAt !== null) rows.push([t('fields.graceEndsAt'), day(billing.graceEndsAt)]);
  return (
    <Paper withBorder radius="sm">
      <Table>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th scope="row" w="40%">
                {label}
              </Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
