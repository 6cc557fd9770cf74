import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { daysUntil, deadlineLevel } from '../i18n/format';

// Shades chosen for WCAG AA text contrast (axe color-contrast): white on red.9 is 5.5:1, near-black on
// yellow.4 over 10:1; Mantine's default filled red and orange with white text are below 4.5:1.
const LOOK = {
  passed: { color: 'red.9', variant: 'filled', c: 'white' },
  soon: { color: 'yellow.4', variant: 'filled', c: 'dark.9' },
  later: { color: 'gray', variant: 'light', c: 'dark.7' },
} as const;

/** Days left to a deadline in words as well as colour: 30 days or less warns, passed is an error. */
export function DaysLeftBadge({ date }: { date: string }) {
  const { t } = useTranslation();
  const days = daysUntil(date);
  const level = deadlineLevel(days);
  const words =
    level === 'passed'
      ? t('deadline.passed', { count: -days })
      : days === 0
        ? t('deadline.today')
        : t('deadline.daysLeft', { count: days });
  return (
    <Badge color={LOOK[level].color} variant={LOOK[level].variant} c={LOOK[level].c} tt="none">
      {words}
    </Badge>
  );
}
