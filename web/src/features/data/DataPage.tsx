import { Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { PageTitle } from '../../components/PageTitle';
import { ExportPanel } from './ExportPanel';
import { ImportPanel } from './ImportPanel';

/** Your data: everything out as one Excel workbook, and contracts, vendors and products in from XLSX or CSV. */
export function DataPage() {
  const { t } = useTranslation('data');
  return (
    <>
      <PageTitle title={t('title')} />
      <Stack gap="lg" maw={960}>
        <ExportPanel />
        <ImportPanel />
      </Stack>
    </>
  );
}
