import { Alert, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useClipboard } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { useFormatters } from '../../i18n/format';
import type { Invitation } from './queries';

/**
 * An invitation link to pass on (the e-mail with it went out too): shown whole in a read-only field, so it
 * can be selected by hand where the clipboard is not allowed, with a copy button and its expiry.
 */
export function InvitationLink({ invitation, name }: { invitation: Invitation; name: string }) {
  const { t } = useTranslation('team');
  const format = useFormatters();
  const clipboard = useClipboard({ timeout: 2000 });
  return (
    <Stack gap="xs">
      <Alert variant="outline" color="teal.9" role="status">
        {t('invitation.ready', { name })}
      </Alert>
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <TextInput
          label={t('invitation.link')}
          value={invitation.url}
          readOnly
          onFocus={(event) => event.currentTarget.select()}
          style={{ flex: 1 }}
        />
        <Button variant="default" onClick={() => clipboard.copy(invitation.url)} aria-live="polite">
          {clipboard.copied ? t('invitation.copied') : t('invitation.copy')}
        </Button>
      </Group>
      {clipboard.error && (
        <Text size="sm" c="red.9" role="alert">
          {t('invitation.copyFailed')}
        </Text>
      )}
      <Text size="sm" c="gray.7">
        {t('invitation.expires', { date: format.dateTime(invitation.expiresAt) })}
      </Text>
    </Stack>
  );
}
