import { Badge, Button, Loader, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';
import { meQuery } from '../../app/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import type { WithStepUp } from './AccountPage';

type Session = Success<'/api/v1/sessions'>['items'][number];

export const sessionsQueryKey = ['sessions'] as const;

/** "Chrome on Windows" from a user agent: enough to recognise a device, never the raw string. */
export function deviceOf(userAgent: string | null): { browser: string | null; system: string | null } {
  if (!userAgent) return { browser: null, system: null };
  const browser =
    [
      [/Edg\//, 'Edge'],
      [/Firefox\//, 'Firefox'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
    ].find(([pattern]) => (pattern as RegExp).test(userAgent))?.[1] ?? null;
  const system =
    [
      [/Android/, 'Android'],
      [/iPhone|iPad/, 'iOS'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/Linux/, 'Linux'],
    ].find(([pattern]) => (pattern as RegExp).test(userAgent))?.[1] ?? null;
  return { browser: browser as string | null, system: system as string | null };
}

/** The user's own sessions, the current one marked; any of them can be ended here. */
export function SessionsTable({ withStepUp }: { withStepUp: WithStepUp }) {
  const { t } = useTranslation('account');
  const format = useFormatters();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery({
    queryKey: sessionsQueryKey,
    queryFn: () => unwrap(api.GET('/api/v1/sessions', { params: { query: { limit: 100 } } })),
  });
  const end = useMutation({
    mutationFn: (session: Session) =>
      withStepUp(() => unwrap(api.DELETE('/api/v1/sessions/{id}', { params: { path: { id: session.id } } })), t('stepUpReason')),
    onSuccess: async (_, session) => {
      if (session.current) {
        queryClient.clear();
        queryClient.setQueryData(meQuery.queryKey, null);
        await navigate({ to: '/', search: { reason: 'signed_out' } });
        return;
      }
      await queryClient.invalidateQueries({ queryKey: sessionsQueryKey });
    },
  });

  if (sessions.isPending) return <Loader size="sm" aria-label={t('sessions.loading')} />;
  if (sessions.isError) return <ProblemAlert error={sessions.error} />;

  const describe = (session: Session) => {
    const { browser, system } = deviceOf(session.userAgent);
    if (browser && system) return t('sessions.device', { browser, system });
    return browser ?? system ?? t('sessions.unknownDevice');
  };

  return (
    <Stack gap="sm">
      <ProblemAlert error={end.error} />
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing="xs" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('sessions.deviceColumn')}</Table.Th>
              <Table.Th>{t('sessions.startedColumn')}</Table.Th>
              <Table.Th>{t('sessions.lastSeenColumn')}</Table.Th>
              <Table.Th>
                <span className="visually-hidden">{t('sessions.actionsColumn')}</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sessions.data.items.map((session) => (
              <Table.Tr key={session.id} aria-current={session.current ? 'true' : undefined}>
                <Table.Td>
                  <Text size="sm">{describe(session)}</Text>
                  {session.clientIp && (
                    <Text size="xs" c="gray.7">
                      {session.clientIp}
                    </Text>
                  )}
                  {session.current && (
                    <Badge size="sm" variant="light" tt="none" mt={2}>
                      {t('sessions.current')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{format.dateTime(session.createdAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{format.dateTime(session.lastSeenAt)}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Button
                    size="xs"
                    variant="default"
                    // Not `loading`: a disabled button drops focus, which the step-up dialog returns to it.
                    aria-busy={end.isPending && end.variables?.id === session.id}
                    onClick={() => end.mutate(session)}
                    aria-label={session.current ? t('sessions.endCurrentLabel') : t('sessions.endLabel', { device: describe(session) })}
                  >
                    {t('sessions.end')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
