import { Group, Text } from '@mantine/core';
import { useFormatters } from '../i18n/format';

/** An amount with its currency, exact to the decimals entered (up to 4). */
export function Money({ amount, currency }: { amount: string; currency: string }) {
  const format = useFormatters();
  return <span className="num">{format.money(amount, currency)}</span>;
}

/** Totals per currency, side by side: amounts in different currencies are never added. */
export function MoneyTotals({ totals }: { totals: ReadonlyArray<{ currency: string; total: string }> }) {
  const format = useFormatters();
  if (totals.length === 0) return <Text c="dimmed">–</Text>;
  return (
    <Group gap="md" wrap="wrap">
      {totals.map(({ currency, total }) => (
        <Text key={currency} className="num" fw={600}>
          {format.money(total, currency)}
        </Text>
      ))}
    </Group>
  );
}
