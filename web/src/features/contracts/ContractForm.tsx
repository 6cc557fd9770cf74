import {
  Button,
  Checkbox,
  Group,
  MultiSelect,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { refreshVaultViews } from '../../app/query-client';
import { fieldErrorsOf } from '../../api/problem';
import type { Success } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useMe } from '../../app/session';
import { contractBody, contractRules, emptyLineItem, trimDecimal, type ContractValues } from './rules';
import { useGroups, useUsers } from './shared';

export type Contract = Success<'/api/v1/contracts/{id}'>;

const CURRENCIES = ['CHF', 'EUR', 'USD', 'GBP'];

function valuesOf(contract: Contract | undefined, defaults: { vendorId?: string; managerId: string }): ContractValues {
  if (!contract) {
    return {
      vendorId: defaults.vendorId ?? '',
      kind: 'contract',
      title: '',
      reference: '',
      signedOn: '',
      startsOn: '',
      endsOn: '',
      noticePeriodDays: '',
      autoRenew: false,
      renewalTermMonths: '',
      currency: 'CHF',
      managerId: defaults.managerId,
      groupIds: [],
      terms: '',
      lineItems: [emptyLineItem()],
    };
  }
  return {
    vendorId: contract.vendorId,
    kind: contract.kind === 'proposal' ? 'proposal' : 'contract',
    title: contract.title,
    reference: contract.reference ?? '',
    signedOn: contract.signedOn ?? '',
    startsOn: contract.startsOn,
    endsOn: contract.endsOn ?? '',
    noticePeriodDays: contract.noticePeriodDays === null ? '' : String(contract.noticePeriodDays),
    autoRenew: contract.autoRenew,
    renewalTermMonths: contract.renewalTermMonths === null ? '' : String(contract.renewalTermMonths),
    currency: contract.currency,
    managerId: contract.managerId,
    groupIds: contract.groupIds,
    terms: contract.terms ?? '',
    lineItems: contract.lineItems.map((item) => ({
      productId: item.productId,
      quantity: String(item.quantity),
      blockSize: String(item.blockSize),
      listUnitPrice: trimDecimal(item.listUnitPrice),
      discountPercent: trimDecimal(item.discountPercent),
      netUnitPrice: trimDecimal(item.netUnitPrice),
      maintenancePercent: trimDecimal(item.maintenancePercent),
      terms: item.terms ?? '',
    })),
  };
}

/**
 * New contract or proposal, or an edit of one. Client checks mirror the server's schema; what the server
 * still refuses lands next to its field (`lineItems.0.quantity`) or, if it names no field, above the form.
 * A new proposal may name the contract it would replace (`supersedes`).
 */
export function ContractForm({
  contract,
  defaultVendorId,
  supersedes,
  onSaved,
}: {
  contract?: Contract;
  defaultVendorId?: string;
  supersedes?: Contract;
  onSaved: (id: string) => void;
}) {
  const { t } = useTranslation('vault');
  const me = useMe()!;
  const [error, setError] = useState<unknown>(null);
  const initial = supersedes
    ? { ...valuesOf(supersedes, { managerId: me.user.id }), kind: 'proposal' as const, title: supersedes.title }
    : valuesOf(contract, { vendorId: defaultVendorId, managerId: me.user.id });
  const form = useForm<ContractValues>({ initialValues: initial, validate: contractRules(t) });
  const editing = contract !== undefined;

  const vendors = useQuery({
    queryKey: ['vendors', { all: true }],
    queryFn: () => unwrap(api.GET('/api/v1/vendors', { params: { query: { limit: 500 } } })),
  });
  const products = useQuery({
    queryKey: ['products', { vendorId: form.values.vendorId }],
    queryFn: () => unwrap(api.GET('/api/v1/products', { params: { query: { vendorId: form.values.vendorId, limit: 500 } } })),
    enabled: form.values.vendorId !== '',
  });
  const users = useUsers();
  const groups = useGroups();
  // API.md, visibility: a member may restrict a new contract only to groups they belong to; a master to any.
  const groupChoices =
    me.user.role === 'master'
      ? (groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))
      : me.groups.map((g) => ({ value: g.id, label: g.name }));

  async function save(values: ContractValues) {
    setError(null);
    const body = contractBody(values);
    try {
      const saved = editing
        ? await unwrap(api.PATCH('/api/v1/contracts/{id}', { params: { path: { id: contract.id } }, body }))
        : await unwrap(
            api.POST('/api/v1/contracts', {
              body: {
                ...body,
                kind: values.kind,
                managerId: values.managerId,
                groupIds: values.groupIds,
                ...(supersedes ? { supersedesId: supersedes.id } : {}),
              },
            }),
          );
      await refreshVaultViews();
      onSaved(saved.id);
    } catch (problem) {
      form.setErrors(fieldErrorsOf(problem));
      setError(problem);
    }
  }

  const productOptions = [
    { value: '', label: t('lineItems.chooseProduct') },
    ...(products.data?.items ?? []).map((p) => ({ value: p.id, label: p.sku ? `${p.name} (${p.sku})` : p.name })),
  ];

  return (
    <form onSubmit={form.onSubmit(save)} noValidate>
      <Stack gap="md">
        <ProblemAlert error={error} />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" verticalSpacing="xs">
          <NativeSelect
            label={t('contract.vendor')}
            required
            data={[
              { value: '', label: t('form.chooseVendor') },
              ...(vendors.data?.items ?? []).map((v) => ({ value: v.id, label: v.name })),
            ]}
            {...form.getInputProps('vendorId')}
            disabled={supersedes !== undefined}
          />
          <NativeSelect
            label={t('contract.kind')}
            data={(['contract', 'proposal'] as const).map((kind) => ({ value: kind, label: t(`kind.${kind}`) }))}
            {...form.getInputProps('kind')}
            disabled={editing || supersedes !== undefined}
          />
          <TextInput label={t('contract.title')} required {...form.getInputProps('title')} data-autofocus />
          <TextInput label={t('contract.reference')} {...form.getInputProps('reference')} />
          <TextInput label={t('contract.startsOn')} type="date" required {...form.getInputProps('startsOn')} />
          <TextInput label={t('contract.endsOn')} type="date" {...form.getInputProps('endsOn')} />
          <TextInput label={t('contract.signedOn')} type="date" {...form.getInputProps('signedOn')} />
          <TextInput
            label={t('contract.noticePeriodDays')}
            inputMode="numeric"
            description={t('form.noticePeriodHint')}
            {...form.getInputProps('noticePeriodDays')}
          />
          <Checkbox label={t('contract.autoRenew')} mt="md" {...form.getInputProps('autoRenew', { type: 'checkbox' })} />
          <TextInput
            label={t('contract.renewalTermMonths')}
            inputMode="numeric"
            disabled={!form.values.autoRenew}
            {...form.getInputProps('renewalTermMonths')}
          />
          <TextInput
            label={t('contract.currency')}
            description={t('form.currencyHint')}
            maxLength={3}
            list="currencies"
            {...form.getInputProps('currency')}
            onChange={(e) => form.setFieldValue('currency', e.currentTarget.value.toUpperCase())}
          />
          {!editing && (
            <NativeSelect
              label={t('contract.manager')}
              data={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
              {...form.getInputProps('managerId')}
            />
          )}
          {!editing && groupChoices.length > 0 && (
            <MultiSelect
              label={t('contract.groups')}
              description={t('form.groupsHint')}
              data={groupChoices}
              clearable
              {...form.getInputProps('groupIds')}
            />
          )}
        </SimpleGrid>
        <datalist id="currencies">
          {CURRENCIES.map((currency) => (
            <option key={currency} value={currency} />
          ))}
        </datalist>
        <Textarea label={t('contract.terms')} autosize minRows={2} maxRows={10} {...form.getInputProps('terms')} />

        <Title order={3} size="h5">
          {t('lineItems.title')}
        </Title>
        {form.values.vendorId === '' ? (
          <Text c="dimmed" size="sm">
            {t('lineItems.chooseVendorFirst')}
          </Text>
        ) : (
          products.isSuccess &&
          products.data.items.length === 0 && (
            <Text c="dimmed" size="sm">
              {t('lineItems.noProducts')}
            </Text>
          )
        )}
        <Table.ScrollContainer minWidth={980}>
          <Table verticalSpacing={4} horizontalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('lineItem.product')}</Table.Th>
                <Table.Th>{t('lineItem.quantity')}</Table.Th>
                <Table.Th>{t('lineItem.blockSize')}</Table.Th>
                <Table.Th>{t('lineItem.listUnitPrice')}</Table.Th>
                <Table.Th>{t('lineItem.discountPercent')}</Table.Th>
                <Table.Th>{t('lineItem.netUnitPrice')}</Table.Th>
                <Table.Th>{t('lineItem.maintenancePercent')}</Table.Th>
                <Table.Th>{t('lineItem.terms')}</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">{t('actions.label')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {form.values.lineItems.map((_, index) => {
                const n = index + 1;
                const cell = (field: string, width: number, extra: Record<string, unknown> = {}) => (
                  <Table.Td w={width} valign="top">
                    <TextInput
                      aria-label={t(`lineItem.${field}`) + ' ' + t('lineItems.line', { n })}
                      size="xs"
                      {...extra}
                      {...form.getInputProps(`lineItems.${index}.${field}`)}
                    />
                  </Table.Td>
                );
                return (
                  <Table.Tr key={index}>
                    <Table.Td valign="top" miw={180}>
                      <NativeSelect
                        aria-label={t('lineItem.product') + ' ' + t('lineItems.line', { n })}
                        size="xs"
                        data={productOptions}
                        {...form.getInputProps(`lineItems.${index}.productId`)}
                        onChange={(e) => {
                          const productId = e.currentTarget.value;
                          form.setFieldValue(`lineItems.${index}.productId`, productId);
                          const product = products.data?.items.find((p) => p.id === productId);
                          if (product && form.values.lineItems[index]?.blockSize === '')
                            form.setFieldValue(`lineItems.${index}.blockSize`, String(product.blockSize));
                        }}
                      />
                    </Table.Td>
                    {cell('quantity', 90, { inputMode: 'numeric' })}
                    {cell('blockSize', 80, { inputMode: 'numeric' })}
                    {cell('listUnitPrice', 110, { inputMode: 'decimal' })}
                    {cell('discountPercent', 80, { inputMode: 'decimal' })}
                    {cell('netUnitPrice', 110, { inputMode: 'decimal', placeholder: t('lineItems.computed') })}
                    {cell('maintenancePercent', 80, { inputMode: 'decimal' })}
                    {cell('terms', 160)}
                    <Table.Td valign="top">
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => form.removeListItem('lineItems', index)}
                        aria-label={t('lineItems.remove', { n })}
                      >
                        ×
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Group justify="space-between">
          <Button variant="default" size="xs" onClick={() => form.insertListItem('lineItems', emptyLineItem())}>
            {t('lineItems.add')}
          </Button>
          <Button type="submit" loading={form.submitting}>
            {editing
              ? t('actions.save', { ns: 'common' })
              : form.values.kind === 'proposal'
                ? t('form.createProposal')
                : t('form.createContract')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
