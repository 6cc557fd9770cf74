import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { daysUntil, deadlineLevel } from '../i18n/format';

const COLOR = { passed: 'red', soon: 'orange', later: 'gray' } as const;

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
    <Badge color={COLOR[level]} variant={level === 'later' ? 'light' : 'filled'} tt="none">
      {words}
    </Badge>
  );
}
