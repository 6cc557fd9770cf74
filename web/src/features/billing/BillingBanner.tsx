import { Alert, Anchor } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import type { Me } from '../../app/session';
import { useFormatters } from '../../i18n/format';

/**
 * The subscription's state for every signed-in user (from /me): a failed payment with the date read-only
 * begins, or read-only itself with what still works. Masters get the way to Billing.
 */
export function BillingBanner({ me }: { me: Me }) {
  const { t } = useTranslation('billing');
  const format = useFormatters();
  const billing = me.tenant.billing;
  if (!billing.enabled || billing.banner === null) return null;
  const isMaster = me.user.role === 'master';
  const renew = isMaster ? (
    <>
      {' '}
      <Anchor component={Link} to="/billing" inherit fw={600}>
        {t('banner.openBilling')}
      </Anchor>
    </>
  ) : null;
  if (billing.banner === 'payment_failed') {
    const until = billing.graceEndsAt ? format.date(billing.graceEndsAt.slice(0, 10)) : null;
    return (
      <Alert color="yellow" title={t('banner.paymentFailedTitle')} role="status" mb="md">
        {until ? t('banner.paymentFailed', { date: until }) : t('banner.paymentFailedNoDate')}{' '}
        {isMaster ? t('banner.masterFixPayment') : t('banner.askMaster')}
        {renew}
      </Alert>
    );
  }
  return (
    <Alert color="red" title={t('banner.readOnlyTitle')} role="status" mb="md">
      {t('banner.readOnly')} {isMaster ? t('banner.masterRenew') : t('banner.askMasterRenew')}
      {renew}
    </Alert>
  );
}
