import { Box, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis } from 'recharts';
import type { Success } from '../../api/types';
import { useFormatters } from '../../i18n/format';

export type PricePoint = Success<'/api/v1/products/{id}/price-history'>['items'][number];

function dayNumber(date: string): number {
  return Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
}

/**
 * Net unit prices over time in one currency: contracts as filled circles joined by a line, proposals as
 * hollow triangles, named in the legend with their shape, so the two are told apart without colour.
 * The chart is an image whose text alternative points to the table with the exact figures.
 */
export function PriceHistoryChart({ currency, points }: { currency: string; points: readonly PricePoint[] }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  const toDatum = (point: PricePoint) => ({ x: dayNumber(point.date), y: Number(point.netUnitPrice), title: point.title });
  const contracts = points.filter((point) => point.kind === 'contract').map(toDatum);
  const proposals = points.filter((point) => point.kind === 'proposal').map(toDatum);
  return (
    <Box>
      <Title order={3} size="h5" mb="xs">
        {t('product.perCurrency', { currency })}
      </Title>
      <Box role="img" aria-label={t('product.chartLabel', { currency })} h={260}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--mantine-color-gray-3)" />
            <XAxis
              type="number"
              dataKey="x"
              domain={['dataMin', 'dataMax']}
              scale="time"
              tickFormatter={(value: number) => format.date(new Date(value).toISOString().slice(0, 10))}
              fontSize={12}
              padding={{ left: 20, right: 20 }}
            />
            <YAxis
              type="number"
              dataKey="y"
              width={96}
              fontSize={12}
              tickFormatter={(value: number) => format.money(String(value), currency)}
            />
            <Legend verticalAlign="top" height={28} />
            <Scatter
              name={t('product.legendContract')}
              data={contracts}
              shape="circle"
              fill="var(--mantine-color-indigo-7)"
              line={{ stroke: 'var(--mantine-color-indigo-4)' }}
              isAnimationActive={false}
            />
            <Scatter
              name={t('product.legendProposal')}
              data={proposals}
              shape="triangle"
              fill="var(--mantine-color-white)"
              stroke="var(--mantine-color-orange-8)"
              strokeWidth={2}
              isAnimationActive={false}
            />
          </ScatterChart>
        </ResponsiveContainer>
      </Box>
    </Box>
  );
}
