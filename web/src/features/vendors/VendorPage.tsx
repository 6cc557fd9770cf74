import { ActionIcon, Anchor, Button, Group, NativeSelect, Paper, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { refreshVaultViews } from '../../app/query-client';
import { fieldErrorsOf, isProblem } from '../../api/problem';
import type { Success } from '../../api/types';
import { EmptyState } from '../../components/EmptyState';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { AnchorLink } from '../contracts/shared';
import { ContractsTable } from '../contracts/ContractsTable';
import { CurrencyTotalsTable, useVendorTotals } from '../contracts/VendorTotals';
import { METRICS, productBody, productRules, type Metric, type ProductValues } from './rules';
import { VendorForm } from './VendorsPage';
import { Dialog } from '../../components/Dialog';

type Product = Success<'/api/v1/products'>['items'][number];

/** One vendor: its details, its products, its metric definitions, and its contracts with totals per currency. */
export function VendorPage() {
  const { t } = useTranslation('vault');
  const { vendorId } = useParams({ strict: false }) as { vendorId: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, edit] = useDisclosure(false);
  const [confirmingDelete, confirmDelete] = useDisclosure(false);
  const vendor = useQuery({
    queryKey: ['vendors', vendorId],
    queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}', { params: { path: { id: vendorId } } })),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/vendors/{id}', { params: { path: { id: vendorId } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['vendors'] });
      await navigate({ to: '/vendors' });
    },
  });

  if (vendor.isError) return <ProblemAlert error={vendor.error} />;
  if (!vendor.data) return <Text c="dimmed">{t('loading', { ns: 'common' })}</Text>;
  const v = vendor.data;
  return (
    <Stack gap="lg">
      <PageTitle
        title={v.name}
        actions={
          <Group gap="xs">
            <Button variant="default" onClick={edit.open}>
              {t('vendor.edit')}
            </Button>
            <Button variant="default" color="red" onClick={confirmDelete.open}>
              {t('vendor.delete')}
            </Button>
          </Group>
        }
      />
      <Group gap="xl">
        {v.website && (
          <Anchor href={v.website} target="_blank" rel="noopener noreferrer">
            {v.website}
          </Anchor>
        )}
        {v.notes && <Text style={{ whiteSpace: 'pre-wrap' }}>{v.notes}</Text>}
      </Group>
      <VendorTotals vendorId={vendorId} />
      <ProductsSection vendorId={vendorId} />
      <MetricDefinitions vendorId={vendorId} />
      <section aria-labelledby="vendor-contracts">
        <Title order={2} size="h4" id="vendor-contracts" mb="xs">
          {t('vendor.contracts')}
        </Title>
        <ContractsTable filters={{ vendorId }} showVendor={false} />
      </section>

      <Dialog opened={editing} onClose={edit.close} title={t('vendor.edit')}>
        <VendorForm
          vendor={v}
          onSaved={() => {
            edit.close();
            void queryClient.invalidateQueries({ queryKey: ['vendors', vendorId] });
          }}
        />
      </Dialog>
      <Dialog opened={confirmingDelete} onClose={confirmDelete.close} title={t('vendor.deleteTitle', { name: v.name })}>
        <Stack gap="sm">
          {isProblem(remove.error, 'vendor_in_use') ? (
            <ProblemAlert error={remove.error} title={t('vendor.inUseTitle')} />
          ) : (
            <ProblemAlert error={remove.error} />
          )}
          <Text>{t('vendor.deleteBody')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={confirmDelete.close}>
              {t('actions.cancel', { ns: 'common' })}
            </Button>
            <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>
              {t('vendor.delete')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}

function VendorTotals({ vendorId }: { vendorId: string }) {
  const { t } = useTranslation('vault');
  const totals = useVendorTotals(vendorId);
  if (!totals.data || totals.data.totalsByCurrency.length === 0) return null;
  return (
    <section aria-labelledby="vendor-totals">
      <Title order={2} size="h4" id="vendor-totals" mb="xs">
        {t('totals.title')}
      </Title>

      <CurrencyTotalsTable totals={totals.data.totalsByCurrency} />
    </section>
  );
}

function ProductsSection({ vendorId }: { vendorId: string }) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  // The dialog fades out after `editing` is cleared: its title keeps the last mode rather than flip to "Edit".
  const lastMode = useRef<'new' | 'edit'>('new');
  if (editing !== null) lastMode.current = editing === 'new' ? 'new' : 'edit';
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const products = useQuery({
    queryKey: ['products', { vendorId }],
    queryFn: () => unwrap(api.GET('/api/v1/products', { params: { query: { vendorId, limit: 500 } } })),
  });

  async function remove(product: Product) {
    setDeleteError(null);
    try {
      await unwrap(api.DELETE('/api/v1/products/{id}', { params: { path: { id: product.id } } }));
      await refreshVaultViews();
    } catch (problem) {
      setDeleteError(problem);
    }
  }

  const items = products.data?.items ?? [];
  const newButton = (
    <Button size="xs" onClick={() => setEditing('new')}>
      {t('products.new')}
    </Button>
  );
  return (
    <section aria-labelledby="vendor-products">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="vendor-products">
          {t('products.title')}
        </Title>
        {items.length > 0 && newButton}
      </Group>
      <ProblemAlert error={products.error ?? deleteError} />
      {products.isSuccess && items.length === 0 ? (
        <EmptyState title={t('products.empty.title')} body={t('products.empty.body')} action={newButton} />
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('product.name')}</Table.Th>
                <Table.Th>{t('product.sku')}</Table.Th>
                <Table.Th>{t('product.metric')}</Table.Th>
                <Table.Th ta="right">{t('product.blockSize')}</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">{t('actions.label')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((product) => (
                <Table.Tr key={product.id}>
                  <Table.Td>
                    <AnchorLink to="/products/$productId" params={{ productId: product.id }}>
                      {product.name}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td>{product.sku ?? '–'}</Table.Td>
                  <Table.Td>{t(`metric.${product.metric}`)}</Table.Td>
                  <Table.Td ta="right" className="num">
                    {format.integer(product.blockSize)}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        onClick={() => setEditing(product)}
                        aria-label={t('products.editNamed', { name: product.name })}
                      >
                        {t('actions.edit', { ns: 'common' })}
                      </Button>
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => void remove(product)}
                        aria-label={t('products.deleteNamed', { name: product.name })}
                      >
                        {t('actions.delete', { ns: 'common' })}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Dialog
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={lastMode.current === 'new' ? t('products.new') : t('products.edit')}
      >
        {editing !== null && (
          <ProductForm vendorId={vendorId} product={editing === 'new' ? undefined : editing} onSaved={() => setEditing(null)} />
        )}
      </Dialog>
    </section>
  );
}

function ProductForm({ vendorId, product, onSaved }: { vendorId: string; product?: Product; onSaved: () => void }) {
  const { t } = useTranslation('vault');
  const [error, setError] = useState<unknown>(null);
  const form = useForm<ProductValues>({
    initialValues: {
      name: product?.name ?? '',
      sku: product?.sku ?? '',
      metric: (product?.metric as Metric | undefined) ?? 'named_user',
      blockSize: String(product?.blockSize ?? 1),
    },
    validate: productRules(t),
  });
  async function save(values: ProductValues) {
    setError(null);
    try {
      if (product) await unwrap(api.PATCH('/api/v1/products/{id}', { params: { path: { id: product.id } }, body: productBody(values) }));
      else await unwrap(api.POST('/api/v1/products', { body: { vendorId, ...productBody(values) } }));
      await refreshVaultViews();
      onSaved();
    } catch (problem) {
      form.setErrors(fieldErrorsOf(problem));
      setError(problem);
    }
  }
  return (
    <form onSubmit={form.onSubmit(save)} noValidate>
      <Stack gap="sm">
        <ProblemAlert error={error} />
        <TextInput label={t('product.name')} required {...form.getInputProps('name')} data-autofocus />
        <TextInput label={t('product.sku')} {...form.getInputProps('sku')} />
        <NativeSelect
          label={t('product.metric')}
          data={METRICS.map((metric) => ({ value: metric, label: t(`metric.${metric}`) }))}
          {...form.getInputProps('metric')}
        />
        <TextInput label={t('product.blockSize')} inputMode="numeric" required {...form.getInputProps('blockSize')} />
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting}>
            {product ? t('actions.save', { ns: 'common' }) : t('products.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The vendor's own wording of each licence metric it uses, edited as one list (PUT replaces it). */
function MetricDefinitions({ vendorId }: { vendorId: string }) {
  const { t } = useTranslation('vault');
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const definitions = useQuery({
    queryKey: ['vendors', vendorId, 'metrics'],
    queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}/metrics', { params: { path: { id: vendorId } } })),
  });
  const form = useForm<{ items: Array<{ metric: Metric; definition: string }> }>({
    initialValues: { items: [] },
    validate: {
      items: {
        definition: (value) => (value.trim() === '' ? t('rules.required') : value.length > 5000 ? t('rules.tooLong', { max: 5000 }) : null),
        metric: (value, values) => (values.items.filter((item) => item.metric === value).length > 1 ? t('metrics.duplicate') : null),
      },
    },
  });
  const [loadedFor, setLoadedFor] = useState<unknown>(null);
  if (definitions.data && loadedFor !== definitions.data) {
    setLoadedFor(definitions.data);
    form.setValues({ items: definitions.data.items.map((item) => ({ metric: item.metric as Metric, definition: item.definition })) });
    form.resetDirty({ items: definitions.data.items.map((item) => ({ metric: item.metric as Metric, definition: item.definition })) });
  }

  async function save(values: typeof form.values) {
    setError(null);
    setSaved(false);
    try {
      await unwrap(api.PUT('/api/v1/vendors/{id}/metrics', { params: { path: { id: vendorId } }, body: values }));
      await queryClient.invalidateQueries({ queryKey: ['vendors', vendorId, 'metrics'] });
      setSaved(true);
    } catch (problem) {
      form.setErrors(fieldErrorsOf(problem));
      setError(problem);
    }
  }

  const unused = METRICS.find((metric) => !form.values.items.some((item) => item.metric === metric));
  return (
    <section aria-labelledby="vendor-metrics">
      <Title order={2} size="h4" id="vendor-metrics" mb="xs">
        {t('metrics.title')}
      </Title>
      <Paper withBorder p="sm">
        <form onSubmit={form.onSubmit(save)} noValidate>
          <Stack gap="sm">
            <ProblemAlert error={error} />
            {form.values.items.length === 0 && <Text c="dimmed">{t('metrics.none')}</Text>}
            {form.values.items.map((item, index) => (
              <Group key={index} align="flex-start" wrap="wrap" gap="sm">
                <NativeSelect
                  label={t('product.metric')}
                  data={METRICS.map((metric) => ({ value: metric, label: t(`metric.${metric}`) }))}
                  {...form.getInputProps(`items.${index}.metric`)}
                  w={200}
                />
                <Textarea
                  label={t('metrics.definition')}
                  autosize
                  minRows={1}
                  style={{ flex: 1, minWidth: 220 }}
                  {...form.getInputProps(`items.${index}.definition`)}
                />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  mt={26}
                  aria-label={t('metrics.remove', { metric: t(`metric.${item.metric}`) })}
                  onClick={() => form.removeListItem('items', index)}
                >
                  ×
                </ActionIcon>
              </Group>
            ))}
            <Group justify="space-between">
              <Button
                variant="default"
                size="xs"
                disabled={!unused || form.values.items.length >= 12}
                onClick={() => unused && form.insertListItem('items', { metric: unused, definition: '' })}
              >
                {t('metrics.add')}
              </Button>
              <Group gap="xs">
                {saved && !form.isDirty() && (
                  <Text size="sm" role="status">
                    {t('metrics.saved')}
                  </Text>
                )}
                <Button type="submit" size="xs" loading={form.submitting} disabled={!form.isDirty()}>
                  {t('metrics.save')}
                </Button>
              </Group>
            </Group>
          </Stack>
        </form>
      </Paper>
    </section>
  );
}
