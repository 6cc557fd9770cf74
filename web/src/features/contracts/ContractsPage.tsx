import { Alert, Button, Group, NativeSelect, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { ContractForm } from './ContractForm';
import { ContractsTable } from './ContractsTable';
import { CurrencyTotalsTable, useVendorTotals } from './VendorTotals';
import type { ContractsSearch } from '../../app/router';
import { KINDS, STATUSES, STATUSES_OF, type ContractFilters, type Kind, type Status } from './shared';
import { Dialog } from '../../components/Dialog';

export function ContractsPage() {
  const { t } = useTranslation('vault');
  const search: ContractsSearch = useSearch({ from: '/signed-in/contracts' });
  const navigate = useNavigate();
  const [creating, create] = useDisclosure(false);
  const phone = useMediaQuery('(max-width: 48em)');
  const [q, setQ] = useState(search.q ?? '');
  useEffect(() => setQ(search.q ?? ''), [search.q]);
  const { byVendor, ...filters } = search;

  const vendors = useQuery({
    queryKey: ['vendors', { all: true }],
    queryFn: () => unwrap(api.GET('/api/v1/vendors', { params: { query: { limit: 500 } } })),
  });
  const setSearch = (patch: Partial<ContractsSearch>) =>
    void navigate({ to: '/contracts', search: (previous: ContractsSearch) => ({ ...previous, ...patch }) });

  const statuses = filters.kind ? STATUSES_OF[filters.kind] : STATUSES;
  const noVendors = vendors.isSuccess && vendors.data.items.length === 0;
  const newButton = (
    <Button onClick={create.open} disabled={noVendors}>
      {t('contracts.new')}
    </Button>
  );

  return (
    <>
      <PageTitle title={t('contracts.title')} actions={newButton} />
      <Stack gap="md">
        <form
          role="search"
          aria-label={t('contracts.filters')}
          onSubmit={(event) => {
            event.preventDefault();
            setSearch({ q: q.trim() || undefined });
          }}
        >
          <Group align="flex-end" gap="sm" wrap="wrap">
            <TextInput label={t('contracts.search')} value={q} onChange={(e) => setQ(e.currentTarget.value)} w={240} />
            <Button type="submit" variant="default">
              {t('actions.search')}
            </Button>
            <NativeSelect
              label={t('contract.vendor')}
              value={filters.vendorId ?? ''}
              onChange={(e) => setSearch({ vendorId: e.currentTarget.value || undefined })}
              data={[
                { value: '', label: t('filters.allVendors') },
                ...(vendors.data?.items ?? []).map((v) => ({ value: v.id, label: v.name })),
              ]}
              w={200}
            />
            <NativeSelect
              label={t('contract.kind')}
              value={filters.kind ?? ''}
              onChange={(e) => {
                const kind = (e.currentTarget.value || undefined) as Kind | undefined;
                const keepStatus = kind && filters.status && (STATUSES_OF[kind] as readonly string[]).includes(filters.status);
                setSearch({ kind, status: keepStatus ? filters.status : undefined });
              }}
              data={[{ value: '', label: t('filters.allKinds') }, ...KINDS.map((kind) => ({ value: kind, label: t(`kind.${kind}`) }))]}
              // Wide enough for "Contracts and proposals" (and "Verträge und Angebote") without clipping.
              w={220}
            />
            <NativeSelect
              label={t('contract.status')}
              value={filters.status ?? ''}
              onChange={(e) => setSearch({ status: (e.currentTarget.value || undefined) as Status | undefined })}
              data={[
                { value: '', label: t('filters.allStatuses') },
                ...statuses.map((status) => ({ value: status, label: t(`status.${status}`) })),
              ]}
              w={160}
            />
            <Switch
              label={t('contracts.groupByVendor')}
              checked={byVendor === true}
              onChange={(e) => setSearch({ byVendor: e.currentTarget.checked || undefined })}
              mb={8}
            />
          </Group>
        </form>
        <FilterTotals filters={filters} />
        <ContractsTable
          filters={filters}
          groupByVendor={byVendor === true}
          empty={
            Object.values(filters).some(Boolean) ? undefined : (
              <EmptyState
                title={t('contracts.empty.title')}
                body={noVendors ? t('contracts.empty.needVendor') : t('contracts.empty.body')}
                action={
                  noVendors ? (
                    <Button onClick={() => void navigate({ to: '/vendors' })}>{t('vendors.new')}</Button>
                  ) : (
                    <Button onClick={create.open}>{t('contracts.new')}</Button>
                  )
                }
              />
            )
          }
        />
      </Stack>
      <Dialog opened={creating} onClose={create.close} title={t('contracts.new')} size="xl" fullScreen={phone}>
        <ContractForm
          defaultVendorId={filters.vendorId}
          onSaved={(id) => {
            create.close();
            void navigate({ to: '/contracts/$contractId', params: { contractId: id } });
          }}
        />
      </Dialog>
    </>
  );
}

/**
 * Totals per currency for the current filter. The API sums per vendor (GET /vendors/{id}/contract-totals,
 * over every contract of the vendor the caller can see), so totals show when a vendor is chosen and say
 * which contracts they count; amounts in different currencies are never added.
 */
function FilterTotals({ filters }: { filters: ContractFilters }) {
  const { t } = useTranslation('vault');
  const vendorId = filters.vendorId;
  const totals = useVendorTotals(vendorId);
  if (!vendorId) {
    return (
      <Text size="sm" c="dimmed">
        {t('totals.chooseVendor')}
      </Text>
    );
  }
  if (!totals.data) return null;
  const narrowed = filters.kind || filters.status || filters.q;
  return (
    <section aria-labelledby="filter-totals">
      <Title order={2} size="h5" id="filter-totals" mb={4}>
        {t('totals.forVendor')}
      </Title>
      {narrowed && (
        <Alert color="gray" variant="light" p="xs" mb="xs">
          {t('totals.vendorWide')}
        </Alert>
      )}
      {totals.data.totalsByCurrency.length === 0 ? (
        <Text c="dimmed">–</Text>
      ) : (
        <CurrencyTotalsTable totals={totals.data.totalsByCurrency} w="auto" />
      )}
    </section>
  );
}
