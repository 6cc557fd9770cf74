import { Anchor, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { Dropzone, type FileRejection } from '@mantine/dropzone';
import '@mantine/dropzone/styles.css';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { ApiProblem } from '../../api/problem';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, uploadDocument } from './upload';

interface Upload {
  name: string;
  fraction: number;
}

/** Signed documents: drop (or pick) a PDF, JPEG or PNG up to 25 MB; list, download, and preview PDFs. */
export function Documents({ contractId }: { contractId: string }) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  const queryClient = useQueryClient();
  const [upload, setUpload] = useState<Upload | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const documents = useQuery({
    queryKey: ['contracts', 'one', contractId, 'documents'],
    queryFn: () => unwrap(api.GET('/api/v1/contracts/{id}/documents', { params: { path: { id: contractId }, query: { limit: 500 } } })),
  });

  async function send(files: File[]) {
    setError(null);
    setDone(null);
    for (const file of files) {
      setUpload({ name: file.name, fraction: 0 });
      try {
        const stored = await uploadDocument(contractId, file, (fraction) => setUpload({ name: file.name, fraction }));
        setDone(stored.filename);
      } catch (problem) {
        setError(problem);
        break;
      } finally {
        setUpload(null);
      }
    }
    await queryClient.invalidateQueries({ queryKey: ['contracts', 'one', contractId, 'documents'] });
  }

  // Checked here first so nobody waits for 25 MB to travel before hearing it is too big; the server checks again.
  function refused(rejections: FileRejection[]) {
    const tooBig = rejections.some((r) => r.errors.some((e) => e.code === 'file-too-large'));
    setDone(null);
    setError(new ApiProblem({ status: tooBig ? 413 : 415, code: tooBig ? 'payload_too_large' : 'unsupported_media_type' }, null));
  }

  const items = documents.data?.items ?? [];
  return (
    <section aria-labelledby="documents">
      <Title order={2} size="h4" id="documents" mb="xs">
        {t('documents.title')}
      </Title>
      <Stack gap="sm">
        <ProblemAlert error={documents.error ?? error} />
        <Dropzone
          onDrop={(files) => void send(files)}
          onReject={refused}
          maxSize={MAX_DOCUMENT_BYTES}
          accept={DOCUMENT_TYPES}
          loading={upload !== null}
          multiple
          aria-label={t('documents.drop')}
        >
          <Group justify="center" mih={72} style={{ pointerEvents: 'none' }}>
            <Stack gap={2} align="center">
              <Text fw={600}>{t('documents.drop')}</Text>
              <Text size="sm" c="dimmed">
                {t('documents.limits')}
              </Text>
            </Stack>
          </Group>
        </Dropzone>
        {upload && (
          <Stack gap={4}>
            <Text size="sm" aria-hidden="true">
              {t('documents.uploading', { name: upload.name, percent: Math.round(upload.fraction * 100) })}
            </Text>
            <Progress.Root size="lg">
              <Progress.Section
                value={upload.fraction * 100}
                animated
                aria-label={t('documents.uploading', { name: upload.name, percent: Math.round(upload.fraction * 100) })}
              />
            </Progress.Root>
          </Stack>
        )}
        {done && (
          <Text size="sm" role="status">
            {t('documents.uploaded', { name: done })}
          </Text>
        )}
        {documents.isSuccess && items.length === 0 ? (
          <Text c="dimmed">{t('documents.none')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('documents.name')}</Table.Th>
                  <Table.Th ta="right">{t('documents.size')}</Table.Th>
                  <Table.Th>{t('documents.uploadedAt')}</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">{t('actions.label')}</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((document) => (
                  <Table.Tr key={document.id}>
                    <Table.Td>{document.filename}</Table.Td>
                    <Table.Td className="num">{sizeOf(document.size, format.locale)}</Table.Td>
                    <Table.Td>{format.dateTime(document.uploadedAt)}</Table.Td>
                    <Table.Td>
                      <Group gap="sm" justify="flex-end" wrap="nowrap">
                        {document.contentType === 'application/pdf' && (
                          <Anchor
                            href={`/api/v1/documents/${document.id}?disposition=inline`}
                            target="_blank"
                            rel="noopener"
                            size="sm"
                            aria-label={t('documents.previewNamed', { name: document.filename })}
                          >
                            {t('documents.preview')}
                          </Anchor>
                        )}
                        <Anchor
                          href={`/api/v1/documents/${document.id}`}
                          download={document.filename}
                          size="sm"
                          aria-label={t('documents.downloadNamed', { name: document.filename })}
                        >
                          {t('documents.download')}
                        </Anchor>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </section>
  );
}

function sizeOf(bytes: number, locale: string): string {
  const units = ['byte', 'kilobyte', 'megabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
