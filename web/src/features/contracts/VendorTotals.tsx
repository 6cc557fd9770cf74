import { Table, type TableProps } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';
import { useFormatters } from '../../i18n/format';

type VendorTotals = Success<'/api/v1/vendors/{id}/contract-totals'>;

/** A vendor's contract totals per currency (every contract of it the caller can see); off while no vendor is chosen. */
export function useVendorTotals(vendorId: string | undefined) {
  return useQuery({
    queryKey: ['vendors', vendorId, 'contract-totals'],
    queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}/contract-totals', { params: { path: { id: vendorId! } } })),
    enabled: vendorId !== undefined,
  });
}

/** One row per currency: amounts in different currencies are never added. */
export function CurrencyTotalsTable({ totals, ...table }: { totals: VendorTotals['totalsByCurrency'] } & TableProps) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  return (
    <Table withTableBorder {...table}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('totals.currency')}</Table.Th>
          <Table.Th ta="right">{t('totals.contracts')}</Table.Th>
          <Table.Th ta="right">{t('totals.net')}</Table.Th>
          <Table.Th ta="right">{t('totals.maintenance')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {totals.map((row) => (
          <Table.Tr key={row.currency}>
            <Table.Td>{row.currency}</Table.Td>
            <Table.Td ta="right" className="num">
              {format.integer(row.contracts)}
            </Table.Td>
            <Table.Td ta="right" className="num">
              {format.money(row.net, row.currency)}
            </Table.Td>
            <Table.Td ta="right" className="num">
              {format.money(row.annualMaintenance, row.currency)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
