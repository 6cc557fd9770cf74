import { Alert, Button, Group, MultiSelect, NativeSelect, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import { useIsMaster } from '../../app/session';
import { DaysLeftBadge } from '../../components/DaysLeftBadge';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormatters } from '../../i18n/format';
import { ContractForm, type Contract } from './ContractForm';
import { StatusBadge } from './ContractsTable';
import { Documents } from './Documents';
import { AnchorLink, LockIcon, noticeDeadline, useGroups, useUsers } from './shared';
import { Dialog } from '../../components/Dialog';

function useContract(id: string | null | undefined) {
  return useQuery({
    queryKey: ['contracts', 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/contracts/{id}', { params: { path: { id: id! } } })),
    enabled: Boolean(id),
  });
}

function useProductNames(vendorId: string | undefined) {
  const products = useQuery({
    queryKey: ['products', { vendorId }],
    queryFn: () => unwrap(api.GET('/api/v1/products', { params: { query: { vendorId: vendorId!, limit: 500 } } })),
    enabled: Boolean(vendorId),
  });
  return (id: string) => products.data?.items.find((p) => p.id === id)?.name ?? '…';
}

/** One contract or proposal: header, line items with totals, terms, documents, versions, visibility, manager. */
export function ContractPage() {
  const { t } = useTranslation('vault');
  const { contractId } = useParams({ strict: false }) as { contractId: string };
  const contract = useContract(contractId);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [editing, edit] = useDisclosure(false);
  const [versioning, newVersion] = useDisclosure(false);
  const [archiving, archive] = useDisclosure(false);
  const vendor = useQuery({
    queryKey: ['vendors', contract.data?.vendorId],
    queryFn: () => unwrap(api.GET('/api/v1/vendors/{id}', { params: { path: { id: contract.data!.vendorId } } })),
    enabled: Boolean(contract.data),
  });
  const removal = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/contracts/{id}', { params: { path: { id: contractId } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['contracts'] });
      await navigate({ to: '/contracts' });
    },
  });

  if (contract.isError) return <ProblemAlert error={contract.error} />;
  if (!contract.data) return <Text c="dimmed">{t('loading', { ns: 'common' })}</Text>;
  const c = contract.data;
  const isProposal = c.kind === 'proposal';

  return (
    <Stack gap="lg">
      <PageTitle
        title={c.title}
        actions={
          <Group gap="xs">
            <Button variant="default" onClick={edit.open}>
              {t('contract.edit')}
            </Button>
            {(c.kind === 'contract' || c.status === 'pending') && (
              <Button variant="default" onClick={newVersion.open}>
                {isProposal ? t('proposal.newVersion') : t('proposal.newRenewalOffer')}
              </Button>
            )}
            <Button variant="default" color="red" onClick={archive.open}>
              {t('contract.archive')}
            </Button>
          </Group>
        }
      />
      <Header contract={c} vendorName={vendor.data?.name} />
      {isProposal && <ProposalDecision contract={c} />}
      {c.supersedesId && <Versions contract={c} />}
      <LineItems contract={c} />
      <section aria-labelledby="contract-terms">
        <Title order={2} size="h4" id="contract-terms" mb="xs">
          {t('contract.terms')}
        </Title>
        {c.terms ? (
          <Paper withBorder p="sm">
            <Text style={{ whiteSpace: 'pre-wrap' }}>{c.terms}</Text>
          </Paper>
        ) : (
          <Text c="dimmed">{t('contract.noTerms')}</Text>
        )}
      </section>
      <Documents contractId={c.id} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Visibility contract={c} />
        <Manager contract={c} />
      </SimpleGrid>

      <Dialog opened={editing} onClose={edit.close} title={t('contract.edit')} size="xl" fullScreen={phone}>
        <ContractForm contract={c} onSaved={edit.close} />
      </Dialog>
      <Dialog opened={versioning} onClose={newVersion.close} title={t('proposal.newVersion')} size="xl" fullScreen={phone}>
        <ContractForm
          supersedes={c}
          onSaved={(id) => {
            newVersion.close();
            void navigate({ to: '/contracts/$contractId', params: { contractId: id } });
          }}
        />
      </Dialog>
      <Dialog opened={archiving} onClose={archive.close} title={t('contract.archiveTitle')}>
        <Stack gap="sm">
          <ProblemAlert error={removal.error} />
          <Text>{t('contract.archiveBody')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={archive.close}>
              {t('actions.cancel', { ns: 'common' })}
            </Button>
            <Button color="red" onClick={() => removal.mutate()} loading={removal.isPending}>
              {t('contract.archive')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" component="dt">
        {label}
      </Text>
      <Text component="dd" m={0}>
        {children}
      </Text>
    </div>
  );
}

function Header({ contract: c, vendorName }: { contract: Contract; vendorName?: string }) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  const users = useUsers();
  const deadline = noticeDeadline(c);
  const manager = users.data?.items.find((u) => u.id === c.managerId)?.name ?? '…';
  return (
    <Paper withBorder p="md">
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="md" component="dl" m={0}>
        <Fact label={t('contract.vendor')}>
          <AnchorLink to="/vendors/$vendorId" params={{ vendorId: c.vendorId }}>
            {vendorName ?? '…'}
          </AnchorLink>
        </Fact>
        <Fact label={t('contract.status')}>
          <StatusBadge kind={c.kind} status={c.status} />
        </Fact>
        <Fact label={t('contract.reference')}>{c.reference ?? '–'}</Fact>
        <Fact label={t('contract.manager')}>{manager}</Fact>
        <Fact label={t('contract.startsOn')}>{format.date(c.startsOn)}</Fact>
        <Fact label={t('contract.endsOn')}>{c.endsOn ? format.date(c.endsOn) : '–'}</Fact>
        <Fact label={t('contract.signedOn')}>{c.signedOn ? format.date(c.signedOn) : '–'}</Fact>
        <Fact label={t('contract.noticePeriodDays')}>
          {c.noticePeriodDays === null ? '–' : t('contract.days', { count: c.noticePeriodDays })}
        </Fact>
        <Fact label={t('contract.noticeDeadline')}>
          {deadline ? (
            <Group gap={6} component="span">
              <span>{format.date(deadline)}</span>
              {c.status === 'active' && <DaysLeftBadge date={deadline} />}
            </Group>
          ) : (
            '–'
          )}
        </Fact>
        <Fact label={t('contract.autoRenew')}>
          {c.autoRenew ? t('contract.renewsFor', { count: c.renewalTermMonths ?? 0 }) : t('contract.noAutoRenew')}
        </Fact>
        <Fact label={t('contract.currency')}>{c.currency}</Fact>
      </SimpleGrid>
    </Paper>
  );
}

function LineItems({ contract: c, caption }: { contract: Contract; caption?: string }) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  const productName = useProductNames(c.vendorId);
  const money = (value: string) => format.money(value, c.currency);
  const percent = (value: string | null) => (value === null ? '–' : `${format.decimal(value.replace(/\.?0+$/, '') || '0')} %`);
  return (
    <section aria-label={caption ?? t('lineItems.title')}>
      {!caption && (
        <Title order={2} size="h4" mb="xs">
          {t('lineItems.title')}
        </Title>
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table striped withTableBorder>
          {caption && <Table.Caption>{caption}</Table.Caption>}
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('lineItem.product')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.quantity')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.blockSize')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.listUnitPrice')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.discountPercent')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.netUnitPrice')}</Table.Th>
              <Table.Th ta="right">{t('lineItem.maintenancePercent')}</Table.Th>
              <Table.Th>{t('lineItem.terms')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {c.lineItems.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={8}>
                  <Text c="dimmed">{t('lineItems.none')}</Text>
                </Table.Td>
              </Table.Tr>
            )}
            {c.lineItems.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td>
                  <AnchorLink to="/products/$productId" params={{ productId: item.productId }}>
                    {productName(item.productId)}
                  </AnchorLink>
                </Table.Td>
                <Table.Td className="num">{format.integer(item.quantity)}</Table.Td>
                <Table.Td className="num">{format.integer(item.blockSize)}</Table.Td>
                <Table.Td className="num">{money(item.listUnitPrice)}</Table.Td>
                <Table.Td className="num">{percent(item.discountPercent)}</Table.Td>
                <Table.Td className="num">{money(item.netUnitPrice)}</Table.Td>
                <Table.Td className="num">{percent(item.maintenancePercent)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{item.terms ?? ''}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Table withTableBorder w="auto" mt="xs" aria-label={t('totals.contractTotals')}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row">{t('totals.list')}</Table.Th>
            <Table.Td className="num">{money(c.totals.list)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">{t('totals.discount')}</Table.Th>
            <Table.Td className="num">{money(c.totals.discount)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">{t('totals.net')}</Table.Th>
            <Table.Td className="num" fw={700}>
              {money(c.totals.net)}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">{t('totals.maintenance')}</Table.Th>
            <Table.Td className="num">{money(c.totals.annualMaintenance)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </section>
  );
}

/** A pending proposal is accepted (which creates its contract) or rejected; a decided one is frozen. */
// Each change below refreshes this page and the vault's other views through the query client's mutation
// cache (app/query-client.ts), so none of them invalidates queries itself.
function ProposalDecision({ contract: c }: { contract: Contract }) {
  const { t } = useTranslation('vault');
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState<'accept' | 'reject' | null>(null);
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/contracts/{id}/accept', { params: { path: { id: c.id } } })),
    onSuccess: (created) => {
      setConfirming(null);
      void navigate({ to: '/contracts/$contractId', params: { contractId: created.id } });
    },
  });
  const reject = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/contracts/{id}', { params: { path: { id: c.id } }, body: { status: 'rejected' } })),
    onSuccess: () => setConfirming(null),
  });
  if (c.status !== 'pending') {
    return (
      <Alert color="gray" title={t(`proposal.decided.${c.status}`, { defaultValue: t('proposal.decided.other') })}>
        {t('proposal.frozen')}
      </Alert>
    );
  }
  return (
    <Paper withBorder p="md" bg="blue.0">
      <Stack gap="sm">
        <Text fw={600}>{t('proposal.waiting')}</Text>
        <ProblemAlert error={accept.error ?? reject.error} />
        <Group gap="sm">
          <Button onClick={() => setConfirming('accept')}>{t('proposal.accept')}</Button>
          <Button variant="default" color="red" onClick={() => setConfirming('reject')}>
            {t('proposal.reject')}
          </Button>
        </Group>
      </Stack>
      <Dialog
        opened={confirming !== null}
        onClose={() => setConfirming(null)}
        title={confirming === 'accept' ? t('proposal.acceptTitle') : t('proposal.rejectTitle')}
      >
        <Stack gap="sm">
          <Text>{confirming === 'accept' ? t('proposal.acceptBody') : t('proposal.rejectBody')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(null)}>
              {t('actions.cancel', { ns: 'common' })}
            </Button>
            {confirming === 'accept' ? (
              <Button onClick={() => accept.mutate()} loading={accept.isPending}>
                {t('proposal.accept')}
              </Button>
            ) : (
              <Button color="red" onClick={() => reject.mutate()} loading={reject.isPending}>
                {t('proposal.reject')}
              </Button>
            )}
          </Group>
        </Stack>
      </Dialog>
    </Paper>
  );
}

/** This version next to the one it would replace (supersedesId), line items side by side. */
function Versions({ contract: c }: { contract: Contract }) {
  const { t } = useTranslation('vault');
  const format = useFormatters();
  const previous = useContract(c.supersedesId);
  if (previous.isError) return null; // Not visible to this user, or archived: nothing to compare against.
  if (!previous.data) return null;
  const p = previous.data;
  const title = (version: Contract) =>
    `${t(`kind.${version.kind}`)} · ${t(`status.${version.status}`)} · ${format.money(version.totals.net, version.currency)}`;
  return (
    <section aria-labelledby="versions">
      <Title order={2} size="h4" id="versions" mb="xs">
        {c.kind === 'proposal' ? t('proposal.comparedWith') : t('contract.renews')}
      </Title>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Stack gap={4}>
          <Text fw={600}>{t('proposal.thisVersion')}</Text>
          <LineItems contract={c} caption={title(c)} />
        </Stack>
        <Stack gap={4}>
          <Text fw={600}>
            {t('proposal.replaces')}{' '}
            <AnchorLink to="/contracts/$contractId" params={{ contractId: p.id }}>
              {p.title}
            </AnchorLink>
          </Text>
          <LineItems contract={p} caption={title(p)} />
        </Stack>
      </SimpleGrid>
    </section>
  );
}

/** Visibility: the groups that may see the contract. Only masters change them (API.md, visibility). */
function Visibility({ contract: c }: { contract: Contract }) {
  const { t } = useTranslation('vault');
  const isMaster = useIsMaster();
  const groups = useGroups();
  const [groupIds, setGroupIds] = useState<string[]>(c.groupIds);
  const change = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/contracts/{id}', { params: { path: { id: c.id } }, body: { groupIds } })),
  });
  const names = c.groupIds.map((id) => groups.data?.items.find((g) => g.id === id)?.name ?? t('visibility.unknownGroup'));
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="visibility">
      <Title order={2} size="h5" id="visibility" mb="xs">
        {t('contract.visibility')}
      </Title>
      {c.groupIds.length === 0 ? (
        <Text size="sm">{t('visibility.everyone')}</Text>
      ) : (
        <Group gap={6} c="orange.9">
          <LockIcon />
          <Text size="sm">{t('visibility.restrictedTo', { groups: names.join(', ') })}</Text>
        </Group>
      )}
      {isMaster && (
        <Stack gap="xs" mt="sm">
          <StepUpAware error={change.error} />
          <MultiSelect
            label={t('contract.groups')}
            data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
            value={groupIds}
            onChange={setGroupIds}
            clearable
          />
          <Button size="xs" w="fit-content" onClick={() => change.mutate()} loading={change.isPending}>
            {t('visibility.save')}
          </Button>
        </Stack>
      )}
    </Paper>
  );
}

function Manager({ contract: c }: { contract: Contract }) {
  const { t } = useTranslation('vault');
  const users = useUsers();
  const [managerId, setManagerId] = useState(c.managerId);
  const change = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/contracts/{id}', { params: { path: { id: c.id } }, body: { managerId } })),
  });
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="manager">
      <Title order={2} size="h5" id="manager" mb="xs">
        {t('contract.manager')}
      </Title>
      <Stack gap="xs">
        <StepUpAware error={change.error} />
        <NativeSelect
          label={t('manager.choose')}
          data={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
          value={managerId}
          onChange={(e) => setManagerId(e.currentTarget.value)}
        />
        <Button size="xs" w="fit-content" onClick={() => change.mutate()} loading={change.isPending} disabled={managerId === c.managerId}>
          {t('manager.save')}
        </Button>
      </Stack>
    </Paper>
  );
}

/**
 * A 403 reauthentication_required asks the user to confirm it's them. The step-up prompt is built on
 * another branch; until it lands here, the message says what to do (sign in again, then retry).
 */
function StepUpAware({ error }: { error: unknown }) {
  const { t } = useTranslation('vault');
  if (isProblem(error, 'reauthentication_required')) {
    return (
      <Alert color="yellow" role="alert" title={t('stepUp.title')}>
        {t('stepUp.body')}
      </Alert>
    );
  }
  return <ProblemAlert error={error} />;
}
