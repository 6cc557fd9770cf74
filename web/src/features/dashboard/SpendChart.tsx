import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Box, Stack, Table, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import type { Success } from '../../api/types';
import { Money } from '../../components/Money';
import { useFormatters } from '../../i18n/format';

type SpendRow = Success<'/api/v1/dashboard'>['spendByVendor'][number];

/** Spend rows per currency, currencies in the order of their first row: amounts are never added across them. */
export function byCurrency(rows: readonly SpendRow[]): Array<{ currency: string; rows: SpendRow[] }> {
  const groups = new Map<string, SpendRow[]>();
  for (const row of rows) groups.set(row.currency, [...(groups.get(row.currency) ?? []), row]);
  return [...groups].map(([currency, inCurrency]) => ({ currency, rows: inCurrency }));
}

/**
 * One bar chart per currency (each bar labelled with its vendor and its amount, so no colour is needed
 * to read it) and the same figures, exact, in a table. The chart is an image with a text alternative
 * that points to the table; the table is what a screen reader reads.
 */
export function SpendByVendor({ rows }: { rows: readonly SpendRow[] }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  return (
    <Stack gap="lg">
      {byCurrency(rows).map(({ currency, rows: inCurrency }) => {
        const sorted = [...inCurrency].sort((a, b) => Number(b.total) - Number(a.total));
        // The chart draws approximately (numbers); the table below shows the exact decimal strings.
        const data = sorted.map((row) => ({ vendor: row.vendorName, total: Number(row.total) }));
        return (
          <Box key={currency}>
            <Title order={3} size="h5" mb="xs">
              {t('dashboard.spend.perCurrency', { currency })}
            </Title>
            <Box role="img" aria-label={t('dashboard.spend.chartLabel', { currency })}>
              <BarChart
                h={Math.max(120, data.length * 40 + 30)}
                data={data}
                dataKey="vendor"
                orientation="vertical"
                series={[{ name: 'total', label: t('dashboard.spend.seriesLabel'), color: 'indigo.6' }]}
                valueFormatter={(value) => format.money(String(value), currency)}
                withBarValueLabel
                withTooltip={false}
                gridAxis="none"
                yAxisProps={{ width: 140 }}
                xAxisProps={{ hide: true }}
                // Room right of the longest bar for its value label, which would otherwise be cut at the edge.
                barChartProps={{ margin: { right: 110 } }}
              />
            </Box>
            <Table.ScrollContainer minWidth={360}>
              <Table striped fz="sm" mt="xs">
                <Table.Caption>{t('dashboard.spend.caption', { currency })}</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('dashboard.spend.vendor')}</Table.Th>
                    <Table.Th scope="col" className="num">
                      {t('dashboard.spend.contracts')}
                    </Table.Th>
                    <Table.Th scope="col" className="num">
                      {t('dashboard.spend.total')}
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {sorted.map((row) => (
                    <Table.Tr key={row.vendorId}>
                      <Table.Th scope="row" fw={400}>
                        <AnchorLink to="/vendors/$vendorId" params={{ vendorId: row.vendorId }}>
                          {row.vendorName}
                        </AnchorLink>
                      </Table.Th>
                      <Table.Td className="num">{format.integer(row.contracts)}</Table.Td>
                      <Table.Td className="num">
                        <Money amount={row.total} currency={row.currency} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Box>
        );
      })}
    </Stack>
  );
}
