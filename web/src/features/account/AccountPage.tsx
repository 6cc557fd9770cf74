import { Box, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { meQuery, useMe } from '../../app/session';
import { LanguagePicker } from '../../components/LanguagePicker';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useStepUp } from '../auth/step-up';
import { ChangePasswordForm } from './ChangePasswordForm';
import { ChangePhoneForm } from './ChangePhoneForm';
import { SessionsTable } from './SessionsTable';
import { Dialog } from '../../components/Dialog';

/** `/account`: the user's sessions, password, phone for codes, and language. */
export function AccountPage() {
  const { t } = useTranslation('account');
  const me = useMe();
  const { withStepUp, stepUpDialog } = useStepUp();
  if (!me) return null;
  return (
    <Stack gap="xl" maw={820}>
      <PageTitle title={t('title')} />
      <Text c="gray.7">{t('signedInAs', { name: me.user.name, email: me.user.email, company: me.tenant.name })}</Text>
      <Section title={t('sessions.title')} intro={t('sessions.intro')}>
        <SessionsTable withStepUp={withStepUp} />
        <SignOutEverywhere withStepUp={withStepUp} />
      </Section>
      <Section title={t('password.title')} intro={t('password.intro')}>
        <ChangePasswordForm me={me} />
      </Section>
      <Section title={t('phone.title')} intro={me.user.phoneHint ? t('phone.current', { phone: me.user.phoneHint }) : t('phone.none')}>
        <ChangePhoneForm />
      </Section>
      <Section title={t('language.title')} intro={t('language.intro')}>
        <Box maw={240}>
          <LanguagePicker />
        </Box>
      </Section>
      {stepUpDialog}
    </Stack>
  );
}

function Section({ title, intro, children }: { title: string; intro?: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="sm" component="section" aria-label={title}>
      <Title order={2} size="h4" mb={4}>
        {title}
      </Title>
      {intro && (
        <Text size="sm" c="gray.7" mb="md">
          {intro}
        </Text>
      )}
      {children}
    </Paper>
  );
}

export type WithStepUp = ReturnType<typeof useStepUp>['withStepUp'];

/** Ends every session of the user, this one included, after a confirmation; then the sign-in screen. */
function SignOutEverywhere({ withStepUp }: { withStepUp: WithStepUp }) {
  const { t } = useTranslation('account');
  const { t: common } = useTranslation();
  const [opened, { open, close }] = useDisclosure(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  async function signOutEverywhere() {
    setBusy(true);
    setError(null);
    try {
      await withStepUp(() => unwrap(api.POST('/api/v1/auth/logout-all')), t('stepUpReason'));
      close();
      queryClient.clear();
      queryClient.setQueryData(meQuery.queryKey, null);
      await navigate({ to: '/', search: { reason: 'signed_out' } });
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Group mt="md">
        <Button variant="outline" color="red" onClick={open}>
          {t('sessions.signOutEverywhere')}
        </Button>
      </Group>
      <Dialog opened={opened} onClose={close} title={t('sessions.signOutEverywhereTitle')} centered>
        <Stack gap="md">
          <Text>{t('sessions.signOutEverywhereBody')}</Text>
          <ProblemAlert error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {common('actions.cancel')}
            </Button>
            <Button color="red" loading={busy} onClick={() => void signOutEverywhere()}>
              {t('sessions.signOutEverywhere')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
    </>
  );
}
