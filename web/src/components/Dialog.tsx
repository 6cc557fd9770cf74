import { Modal, type ModalProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/**
 * Mantine's Modal with a named close button: its × is an icon, and a screen reader would announce a
 * nameless "button" (axe: button-name). Every dialog of the app goes through here.
 */
export function Dialog({ closeButtonProps, ...props }: ModalProps) {
  const { t } = useTranslation('common');
  return <Modal closeButtonProps={{ 'aria-label': t('actions.close'), ...closeButtonProps }} {...props} />;
}
