import { Button, Group, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useStepUp } from '../auth/step-up';
import { useFormatters } from '../../i18n/format';
import { downloadExport, saveFile, type DownloadProgress } from './transfer';

/** "Download everything as Excel": streamed, with the bytes received and the records it holds. */
export function ExportPanel() {
  const { t } = useTranslation('data');
  const format = useFormatters();
  const { withStepUp, stepUpDialog } = useStepUp();
  const [progress, setProgress] = useState<DownloadProgress | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const exportAll = useMutation({
    mutationFn: () => withStepUp(() => downloadExport(setProgress), t('export.stepUpReason')),
    onMutate: () => {
      setSaved(null);
      setProgress(null);
    },
    onSuccess: (file) => {
      saveFile(file);
      setSaved(file.filename);
    },
  });
  const kilobytes = (bytes: number) => format.integer(Math.ceil(bytes / 1024));

  return (
    <Paper withBorder p="md" radius="sm">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t('export.title')}
        </Title>
        <Text size="sm">{t('export.body')}</Text>
        <ProblemAlert error={exportAll.error} />
        <Group>
          <Button onClick={() => exportAll.mutate()} loading={exportAll.isPending}>
            {t('export.download')}
          </Button>
        </Group>
        {exportAll.isPending && progress && (
          <Stack gap={4} role="status" aria-live="polite">
            {progress.estimate !== null && (
              <Progress value={progress.estimate * 100} aria-label={t('export.progressLabel')} animated striped />
            )}
            <Text size="sm">
              {progress.records === null
                ? t('export.progressBytes', { kilobytes: kilobytes(progress.bytes) })
                : t('export.progress', {
                    kilobytes: kilobytes(progress.bytes),
                    records: format.integer(progress.records),
                    count: progress.records,
                  })}
            </Text>
          </Stack>
        )}
        {saved && progress && (
          <Text size="sm" role="status">
            {t('export.saved', {
              filename: saved,
              kilobytes: kilobytes(progress.bytes),
              records: format.integer(progress.records ?? 0),
              count: progress.records ?? 0,
            })}
          </Text>
        )}
      </Stack>
      {stepUpDialog}
    </Paper>
  );
}
