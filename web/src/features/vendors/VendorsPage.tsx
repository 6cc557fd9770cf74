import { Button, Group, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { refreshVaultViews } from '../../app/query-client';
import { fieldErrorsOf } from '../../api/problem';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AnchorLink } from '../contracts/shared';
import { vendorRules, type VendorValues, vendorBody } from './rules';
import { Dialog } from '../../components/Dialog';

/** Vendors, searchable by name (`?q=` in the URL, so a search can be shared and survives a reload). */
export function VendorsPage() {
  const { t } = useTranslation('vault');
  const q = useSearch({ from: '/signed-in/vendors' }).q ?? '';
  const navigate = useNavigate();
  const [draft, setDraft] = useState(q);
  const [creating, { open, close }] = useDisclosure(false);
  useEffect(() => setDraft(q), [q]);

  const vendors = useInfiniteQuery({
    queryKey: ['vendors', { q }],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/vendors', { params: { query: { q: q || undefined, cursor: pageParam, limit: 50 } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const items = vendors.data?.pages.flatMap((page) => page.items) ?? [];
  const companyIsEmpty = vendors.isSuccess && items.length === 0 && q === '';

  const newButton = <Button onClick={open}>{t('vendors.new')}</Button>;
  return (
    <>
      <PageTitle title={t('vendors.title')} actions={companyIsEmpty ? undefined : newButton} />
      <ProblemAlert error={vendors.error} />
      {companyIsEmpty ? (
        <EmptyState title={t('vendors.empty.title')} body={t('vendors.empty.body')} action={newButton} />
      ) : (
        <Stack gap="sm">
          <form
            role="search"
            onSubmit={(event) => {
              event.preventDefault();
              void navigate({ to: '/vendors', search: draft.trim() ? { q: draft.trim() } : {} });
            }}
          >
            <Group align="flex-end" gap="xs">
              <TextInput label={t('vendors.search')} value={draft} onChange={(e) => setDraft(e.currentTarget.value)} maw={360} />
              <Button type="submit" variant="default">
                {t('actions.search')}
              </Button>
            </Group>
          </form>
          {items.length === 0 && vendors.isSuccess ? (
            <Text c="dimmed">{t('vendors.noMatch', { q })}</Text>
          ) : (
            <Table.ScrollContainer minWidth={480}>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('vendor.name')}</Table.Th>
                    <Table.Th>{t('vendor.website')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((vendor) => (
                    <Table.Tr key={vendor.id}>
                      <Table.Td>
                        <AnchorLink to="/vendors/$vendorId" params={{ vendorId: vendor.id }}>
                          {vendor.name}
                        </AnchorLink>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {vendor.website ?? '–'}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {vendors.hasNextPage && (
            <Button variant="default" onClick={() => void vendors.fetchNextPage()} loading={vendors.isFetchingNextPage} w="fit-content">
              {t('actions.loadMore', { ns: 'common' })}
            </Button>
          )}
        </Stack>
      )}
      <Dialog opened={creating} onClose={close} title={t('vendors.new')}>
        <VendorForm
          onSaved={(id) => {
            close();
            void navigate({ to: '/vendors/$vendorId', params: { vendorId: id } });
          }}
        />
      </Dialog>
    </>
  );
}

/** Creates a vendor, or edits one when `vendor` is given. */
export function VendorForm({
  vendor,
  onSaved,
}: {
  vendor?: { id: string; name: string; website: string | null; notes: string | null };
  onSaved: (id: string) => void;
}) {
  const { t } = useTranslation('vault');
  const [error, setError] = useState<unknown>(null);
  const form = useForm<VendorValues>({
    initialValues: { name: vendor?.name ?? '', website: vendor?.website ?? '', notes: vendor?.notes ?? '' },
    validate: vendorRules(t),
  });

  async function save(values: VendorValues) {
    setError(null);
    try {
      const saved = vendor
        ? await unwrap(api.PATCH('/api/v1/vendors/{id}', { params: { path: { id: vendor.id } }, body: vendorBody(values) }))
        : await unwrap(api.POST('/api/v1/vendors', { body: vendorBody(values) }));
      await refreshVaultViews();
      onSaved(saved.id);
    } catch (problem) {
      form.setErrors(fieldErrorsOf(problem));
      setError(problem);
    }
  }

  return (
    <form onSubmit={form.onSubmit(save)} noValidate>
      <Stack gap="sm">
        <ProblemAlert error={error} />
        <TextInput label={t('vendor.name')} required {...form.getInputProps('name')} data-autofocus />
        <TextInput label={t('vendor.website')} type="url" placeholder="https://" {...form.getInputProps('website')} />
        <Textarea label={t('vendor.notes')} autosize minRows={2} {...form.getInputProps('notes')} />
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting}>
            {vendor ? t('actions.save', { ns: 'common' }) : t('vendors.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
