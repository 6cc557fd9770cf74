import { Group, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/AnchorLink';
import type { Success } from '../../api/types';
import { DaysLeftBadge } from '../../components/DaysLeftBadge';
import { useFormatters } from '../../i18n/format';

const PLAIN_LIST = { listStyle: 'none', margin: 0, padding: 0 } as const;

export type Deadline = Success<'/api/v1/deadlines'>[number];

/** Deadlines grouped by calendar month (YYYY-MM), in the order given (the API sorts soonest first). */
export function groupByMonth(deadlines: readonly Deadline[]): Array<{ month: string; deadlines: Deadline[] }> {
  const groups: Array<{ month: string; deadlines: Deadline[] }> = [];
  for (const deadline of deadlines) {
    const month = deadline.date.slice(0, 7);
    const last = groups.at(-1);
    if (last?.month === month) last.deadlines.push(deadline);
    else groups.push({ month, deadlines: [deadline] });
  }
  return groups;
}

/**
 * A timeline of deadlines, one heading per month, each deadline with its kind in words (notice deadline or
 * contract end, told apart by a letter mark as well), its date, the days left in words and colour, and a
 * link to its contract. A list of lists, so a screen reader hears the month and how many fall in it.
 */
export function DeadlineTimeline({ deadlines, headingOrder = 3 }: { deadlines: readonly Deadline[]; headingOrder?: 2 | 3 }) {
  const { t } = useTranslation('insight');
  const format = useFormatters();
  const monthFormat = new Intl.DateTimeFormat(format.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return (
    <Stack gap="md" component="ol" style={PLAIN_LIST} aria-label={t('timeline.label')}>
      {groupByMonth(deadlines).map(({ month, deadlines: inMonth }) => (
        <li key={month}>
          <Group gap="xs" align="baseline" mb={4}>
            <Title order={headingOrder} size="h5">
              {monthFormat.format(new Date(`${month}-01T00:00:00Z`))}
            </Title>
            <Text size="xs" c="dimmed">
              {t('timeline.count', { count: inMonth.length })}
            </Text>
          </Group>
          <Stack
            gap={6}
            component="ul"
            style={{ ...PLAIN_LIST, borderInlineStart: '2px solid var(--mantine-color-gray-3)', paddingInlineStart: 8 }}
          >
            {inMonth.map((deadline) => (
              <li key={`${deadline.contractId}-${deadline.type}`}>
                <Group gap="sm" wrap="nowrap" align="center">
                  <ThemeIcon
                    size="sm"
                    radius="xl"
                    variant={deadline.type === 'notice' ? 'filled' : 'outline'}
                    color="indigo"
                    aria-hidden="true"
                  >
                    <Text size="10px" fw={700} span>
                      {deadline.type === 'notice' ? 'N' : 'E'}
                    </Text>
                  </ThemeIcon>
                  <Stack gap={0} style={{ flex: 1, minWidth: 0 }}>
                    <Group gap="xs" wrap="wrap">
                      <Text size="sm" fw={600}>
                        {t(`deadlineType.${deadline.type}`)}
                      </Text>
                      <Text size="sm" className="num">
                        {format.date(deadline.date)}
                      </Text>
                      <DaysLeftBadge date={deadline.date} />
                    </Group>
                    <Text size="sm" truncate>
                      <AnchorLink to="/contracts/$contractId" params={{ contractId: deadline.contractId }}>
                        {deadline.title}
                      </AnchorLink>{' '}
                      <Text span c="dimmed" size="sm">
                        · {deadline.vendor.name}
                      </Text>
                    </Text>
                  </Stack>
                </Group>
              </li>
            ))}
          </Stack>
        </li>
      ))}
    </Stack>
  );
}
