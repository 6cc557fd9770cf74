import '@mantine/dropzone/styles.css';
import { Alert, Button, Group, Paper, Progress, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isProblem } from '../../api/problem';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { csvHeaders, guessMapping, IMPORTABLE_SHEETS } from './csv-mapping';
import { uploadImport, type CsvMapping, type ImportReport } from './transfer';

/** The server's own limit (src/export/import-file.ts IMPORT_LIMITS.maxFileBytes). */
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ACCEPT = { [XLSX_TYPE]: ['.xlsx'], 'text/csv': ['.csv'], 'application/vnd.ms-excel': ['.csv'], 'text/plain': ['.csv'] };
const NOT_MAPPED = '';

interface Chosen {
  file: File;
  /** The CSV's header cells; null for a workbook. */
  headers: string[] | null;
}

type Stage = { kind: 'checked'; report: ImportReport } | { kind: 'applied'; report: ImportReport } | null;

/** Import: choose a file, check it (dry run, nothing written), then apply it in one transaction. */
export function ImportPanel() {
  const { t } = useTranslation('data');
  const queryClient = useQueryClient();
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [sheet, setSheet] = useState<string>('Vendors');
  const [columns, setColumns] = useState<Record<string, string>>({});
  const [progress, setProgress] = useState<number | null>(null);
  const [stage, setStage] = useState<Stage>(null);
  const [rejected, setRejected] = useState(false);

  const mapping: CsvMapping | null = chosen?.headers ? { sheet, columns } : null;
  const upload = useMutation({
    mutationFn: (dryRun: boolean) => uploadImport(chosen!.file, { dryRun, mapping, onProgress: setProgress }),
    onMutate: () => setProgress(0),
    onSuccess: (report, dryRun) => {
      setStage({ kind: dryRun ? 'checked' : 'applied', report });
      if (!dryRun) void queryClient.invalidateQueries();
    },
    onSettled: () => setProgress(null),
  });

  async function choose(files: File[]) {
    const file = files[0];
    if (!file) return;
    setRejected(false);
    setStage(null);
    upload.reset();
    const isCsv = file.name.toLowerCase().endsWith('.csv');
    const headers = isCsv ? csvHeaders(await file.slice(0, 64 * 1024).text()) : null;
    setChosen({ file, headers });
    if (headers) setColumns(guessMapping(sheet, headers));
  }

  function chooseSheet(name: string) {
    setSheet(name);
    setStage(null);
    if (chosen?.headers) setColumns(guessMapping(name, chosen.headers));
  }

  const invalid = isProblem(upload.error, 'import_invalid') ? (upload.error.body as unknown as ImportReport) : null;
  const fields = IMPORTABLE_SHEETS.find((candidate) => candidate.name === sheet)?.fields ?? [];

  return (
    <Paper withBorder p="md" radius="sm">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t('import.title')}
        </Title>
        <Text size="sm">{t('import.body')}</Text>
        <Dropzone
          onDrop={(files) => void choose(files)}
          onReject={() => setRejected(true)}
          accept={ACCEPT}
          maxSize={MAX_FILE_BYTES}
          maxFiles={1}
          multiple={false}
          aria-label={t('import.dropzoneLabel')}
        >
          <Stack gap={4} align="center" py="md">
            <Text fw={600}>{t('import.dropzoneTitle')}</Text>
            <Text size="sm">
              {t('import.dropzoneHint')}
            </Text>
          </Stack>
        </Dropzone>
        {rejected && (
          <Alert color="red" role="alert">
            {t('import.rejected')}
          </Alert>
        )}
        {chosen && (
          <Text size="sm">
            {t('import.chosen', { filename: chosen.file.name })}
          </Text>
        )}
        {chosen?.headers && (
          <Stack gap="xs">
            <Select
              label={t('import.sheet')}
              data={IMPORTABLE_SHEETS.map((candidate) => ({ value: candidate.name, label: t(`sheets.${candidate.name}`) }))}
              value={sheet}
              onChange={(value) => value && chooseSheet(value)}
              allowDeselect={false}
              maw={320}
            />
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('import.csvColumn')}</Table.Th>
                  <Table.Th>{t('import.field')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {chosen.headers.map((header) => (
                  <Table.Tr key={header}>
                    <Table.Td>{header}</Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={t('import.fieldFor', { column: header })}
                        data={[
                          { value: NOT_MAPPED, label: t('import.ignore') },
                          ...fields.map((field) => ({ value: field.field, label: field.header })),
                        ]}
                        value={columns[header] ?? NOT_MAPPED}
                        onChange={(value) => {
                          setStage(null);
                          setColumns((current) => {
                            const next = { ...current };
                            if (value && value !== NOT_MAPPED) next[header] = value;
                            else delete next[header];
                            return next;
                          });
                        }}
                        allowDeselect={false}
                        size="xs"
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        )}
        {chosen && (
          <Group>
            <Button onClick={() => upload.mutate(true)} loading={upload.isPending && upload.variables === true} disabled={upload.isPending}>
              {t('import.check')}
            </Button>
            {stage?.kind === 'checked' && stage.report.errors.length === 0 && (
              <Button onClick={() => upload.mutate(false)} loading={upload.isPending && upload.variables === false}>
                {t('import.apply')}
              </Button>
            )}
          </Group>
        )}
        {progress !== null && (
          <Stack gap={4} role="status" aria-live="polite">
            <Progress value={progress * 100} aria-label={t('import.uploadProgress')} />
            <Text size="sm">{progress < 1 ? t('import.uploading', { percent: Math.round(progress * 100) }) : t('import.processing')}</Text>
          </Stack>
        )}
        {!invalid && <ProblemAlert error={upload.error} />}
        {invalid && (
          <>
            <ProblemAlert error={upload.error} />
            <ImportErrors report={invalid} />
          </>
        )}
        {stage && <ReportView stage={stage} />}
      </Stack>
    </Paper>
  );
}

function ReportView({ stage }: { stage: NonNullable<Stage> }) {
  const { t } = useTranslation('data');
  const format = useFormatters();
  const { report } = stage;
  const summary = { creates: format.integer(report.creates), updates: format.integer(report.updates) };
  return (
    <Stack gap="xs">
      <Alert
        color={stage.kind === 'applied' ? 'green' : report.errors.length > 0 ? 'red' : 'blue'}
        role="status"
        title={stage.kind === 'applied' ? t('report.appliedTitle') : t('report.checkedTitle')}
      >
        {stage.kind === 'applied'
          ? t('report.applied', summary)
          : report.errors.length > 0
            ? t('report.checkedWithErrors', { ...summary, count: report.errors.length })
            : t('report.checked', summary)}
      </Alert>
      {report.sheets.length > 0 && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('report.sheet')}</Table.Th>
              <Table.Th ta="right">{t('report.creates')}</Table.Th>
              <Table.Th ta="right">{t('report.updates')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.sheets.map((row) => (
              <Table.Tr key={row.sheet}>
                <Table.Td>{t(`sheets.${row.sheet}`, { defaultValue: row.sheet })}</Table.Td>
                <Table.Td ta="right">{format.integer(row.creates)}</Table.Td>
                <Table.Td ta="right">{format.integer(row.updates)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ImportErrors report={report} />
    </Stack>
  );
}

/** Every row error with its sheet and cell, as the spreadsheet names them, so each can be found and fixed. */
function ImportErrors({ report }: { report: Pick<ImportReport, 'errors'> }) {
  const { t } = useTranslation('data');
  if (!report.errors?.length) return null;
  return (
    <Table aria-label={t('report.errorsLabel')}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('report.sheet')}</Table.Th>
          <Table.Th>{t('report.cell')}</Table.Th>
          <Table.Th>{t('report.problem')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {report.errors.map((error, index) => (
          <Table.Tr key={`${error.sheet}-${error.cell}-${index}`}>
            <Table.Td>{t(`sheets.${error.sheet}`, { defaultValue: error.sheet })}</Table.Td>
            <Table.Td>{error.cell}</Table.Td>
            <Table.Td>{error.message}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
