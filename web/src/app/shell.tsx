import { AppShell, Burger, Group, NavLink, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { LanguagePicker } from '../components/LanguagePicker';
import { SignInPage } from '../features/auth/SignInPage';
import { BillingBanner } from '../features/billing/BillingBanner';
import { meQuery, useMe } from './session';

interface NavItem {
  to: string;
  label: string;
  mastersOnly?: boolean;
  /** Shown only when the company has billing (Stripe configured). */
  billingOnly?: boolean;
}

const NAV: NavItem[] = [
  { to: '/', label: 'nav.dashboard' },
  { to: '/contracts', label: 'nav.contracts' },
  { to: '/vendors', label: 'nav.vendors' },
  { to: '/deadlines', label: 'nav.deadlines' },
  { to: '/products', label: 'insight:nav.holdings' },
  { to: '/team', label: 'nav.team', mastersOnly: true },
  { to: '/data', label: 'nav.data' },
  { to: '/billing', label: 'nav.billing', mastersOnly: true, billingOnly: true },
  { to: '/account', label: 'nav.account' },
];

/** The signed-in frame: navigation, language, sign-out. Signed out, `/` is the sign-in screen instead. */
export function AppShellLayout() {
  const me = useMe();
  if (me === null) return <SignInPage />;
  return <SignedInShell />;
}

function SignedInShell() {
  const { t } = useTranslation();
  const me = useMe()!;
  const [opened, { toggle, close }] = useDisclosure();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  async function signOut() {
    await api.POST('/api/v1/auth/logout').catch(() => undefined);
    queryClient.clear();
    queryClient.setQueryData(meQuery.queryKey, null);
    await navigate({ to: '/', search: { reason: 'signed_out' } });
  }

  const isActive = (to: string) => (to === '/' ? pathname === '/' : pathname === to || pathname.startsWith(`${to}/`));

  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className="skip-link">
        {t('nav.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.toggleNavigation')} />
            <Text fw={700} size="lg" component={Link} to="/">
              Pactum
            </Text>
            <Text size="sm" c="gray.7" visibleFrom="sm">
              {me.tenant.name}
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm">
              {me.user.name}
            </Text>
            <UnstyledButton onClick={() => void signOut()} fz="sm" c="indigo.8">
              {t('nav.signOut')}
            </UnstyledButton>
          </Group>
        </Group>
      </AppShell.Header>
      {/* Mantine renders the navbar as the <nav> landmark; a second nav inside it would name the same landmark twice. */}
      <AppShell.Navbar p="xs" aria-label={t('nav.main')}>
        <AppShell.Section grow component={ScrollArea}>
          <Stack gap={2}>
            {NAV.filter((item) => (!item.mastersOnly || me.user.role === 'master') && (!item.billingOnly || me.tenant.billing.enabled)).map(
              (item) => (
                <NavLink
                  key={item.to}
                  component={Link}
                  to={item.to}
                  label={t(item.label)}
                  active={isActive(item.to)}
                  // The default light shade is 3.9:1 on its tint; the darkest passes AA (axe color-contrast).
                  color="indigo.9"
                  aria-current={isActive(item.to) ? 'page' : undefined}
                  onClick={close}
                />
              ),
            )}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          <LanguagePicker />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <BillingBanner me={me} />
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
