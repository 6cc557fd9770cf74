import { createRootRoute, createRoute, createRouter, lazyRouteComponent, Outlet, redirect } from '@tanstack/react-router';
import { lazy, Suspense } from 'react';
import { onSessionEnded } from '../api/client';
import { validateAuditSearch } from '../features/team/audit-search';
import { NotFoundPage } from './NotFoundPage';
import { queryClient } from './query-client';
import { meQuery } from './session';
import { AppShellLayout } from './shell';

/**
 * The screen map (UI.md). Every screen is its own chunk (lazyRouteComponent), so the sign-in screen loads
 * only what it needs. Signed-out visitors see sign-in at `/`; any other signed-in URL sends them there
 * with `next`, and they come back after the code.
 */
export type SignInReason = 'session_ended' | 'signed_out' | 'password_changed' | 'password_reset';
const SIGN_IN_REASONS: SignInReason[] = ['session_ended', 'signed_out', 'password_changed', 'password_reset'];

export interface SignInSearch {
  next?: string;
  reason?: SignInReason;
}

/** Only a path on this site may be a `next` target: never another origin. */
export function safeNext(next: unknown): string | undefined {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : undefined;
}

type PageModule = () => Promise<Record<string, unknown>>;
const lazyPage = (load: PageModule, name: string) => lazyRouteComponent(load as () => Promise<Record<string, never>>, name as never);

const rootRoute = createRootRoute({ component: Outlet, notFoundComponent: NotFoundPage });

const signedIn = createRoute({
  getParentRoute: () => rootRoute,
  id: 'signed-in',
  validateSearch: (search: Record<string, unknown>): SignInSearch => ({
    next: safeNext(search.next),
    reason: SIGN_IN_REASONS.find((reason) => reason === search.reason),
  }),
  beforeLoad: async ({ location }) => {
    const me = await queryClient.ensureQueryData(meQuery);
    if (me === null && location.pathname !== '/') throw redirect({ to: '/', search: { next: location.href } });
  },
  component: AppShellLayout,
});

/**
 * `/` is also the signed-out sign-in screen, so its page must not load with the route (the router would
 * fetch a lazyRouteComponent chunk before the shell decides to show sign-in): React.lazy loads the
 * dashboard only when the signed-in shell renders it, keeping charts out of the sign-in budget.
 */
const Dashboard = lazy(() => import('../features/dashboard/DashboardPage').then((module) => ({ default: module.DashboardPage })));
function DashboardHome() {
  return (
    <Suspense fallback={null}>
      <Dashboard />
    </Suspense>
  );
}

const signedInPage = <Path extends string>(path: Path, load: PageModule, name: string) =>
  createRoute({ getParentRoute: () => signedIn, path, component: lazyPage(load, name) });

// The vault's lists keep their filters in the URL; only known keys of the right shape get through.
const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined);
const uuid = (value: unknown) => (typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value) ? value : undefined);
const oneOf = <T extends string>(values: readonly T[], value: unknown) => values.find((known) => known === value);

export interface VendorsSearch {
  q?: string;
}
export interface ContractsSearch {
  vendorId?: string;
  kind?: 'contract' | 'proposal';
  status?: 'active' | 'expired' | 'terminated' | 'pending' | 'accepted' | 'rejected' | 'superseded';
  q?: string;
  byVendor?: boolean;
}

const vendorsPage = createRoute({
  getParentRoute: () => signedIn,
  path: '/vendors',
  validateSearch: (search: Record<string, unknown>): VendorsSearch => ({ q: text(search.q) }),
  component: lazyPage(() => import('../features/vendors/VendorsPage'), 'VendorsPage'),
});
const contractsPage = createRoute({
  getParentRoute: () => signedIn,
  path: '/contracts',
  validateSearch: (search: Record<string, unknown>): ContractsSearch => ({
    vendorId: uuid(search.vendorId),
    kind: oneOf(['contract', 'proposal'] as const, search.kind),
    status: oneOf(['active', 'expired', 'terminated', 'pending', 'accepted', 'rejected', 'superseded'] as const, search.status),
    q: text(search.q),
    byVendor: search.byVendor === true || search.byVendor === 'true' ? true : undefined,
  }),
  component: lazyPage(() => import('../features/contracts/ContractsPage'), 'ContractsPage'),
});
const publicPage = (path: string, load: PageModule, name: string) =>
  createRoute({ getParentRoute: () => rootRoute, path, component: lazyPage(load, name) });

const routeTree = rootRoute.addChildren([
  signedIn.addChildren([
    createRoute({ getParentRoute: () => signedIn, path: '/', component: DashboardHome }),
    contractsPage,
    signedInPage('/contracts/$contractId', () => import('../features/contracts/ContractPage'), 'ContractPage'),
    vendorsPage,
    signedInPage('/vendors/$vendorId', () => import('../features/vendors/VendorPage'), 'VendorPage'),
    signedInPage('/products', () => import('../features/products/ProductsPage'), 'ProductsPage'),
    signedInPage('/products/$productId', () => import('../features/products/ProductPage'), 'ProductPage'),
    signedInPage('/deadlines', () => import('../features/deadlines/DeadlinesPage'), 'DeadlinesPage'),
    signedInPage('/team', () => import('../features/team/TeamPage'), 'TeamPage'),
    signedInPage('/team/groups', () => import('../features/team/GroupsPage'), 'GroupsPage'),
    createRoute({
      getParentRoute: () => signedIn,
      path: '/team/audit',
      // The audit trail's filters live in the URL; only values the server accepts are kept.
      validateSearch: validateAuditSearch,
      component: lazyPage(() => import('../features/team/AuditPage'), 'AuditPage'),
    }),
    signedInPage('/account', () => import('../features/account/AccountPage'), 'AccountPage'),
    signedInPage('/data', () => import('../features/data/DataPage'), 'DataPage'),
    signedInPage('/billing', () => import('../features/billing/BillingPage'), 'BillingPage'),
  ]),
  publicPage('/signup', () => import('../features/auth/SignUpPage'), 'SignUpPage'),
  publicPage('/invitations/$token', () => import('../features/auth/AcceptInvitationPage'), 'AcceptInvitationPage'),
  publicPage('/password-reset', () => import('../features/auth/PasswordResetRequestPage'), 'PasswordResetRequestPage'),
  publicPage('/password-reset/$token', () => import('../features/auth/PasswordResetPage'), 'PasswordResetPage'),
]);

export const router = createRouter({ routeTree, defaultPreload: 'intent', scrollRestoration: true });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

// A 401 anywhere after sign-in: forget every cached answer so no screen keeps showing data, then sign in.
onSessionEnded(() => {
  const next = safeNext(router.state.location.href);
  queryClient.clear();
  queryClient.setQueryData(meQuery.queryKey, null);
  void router.navigate({ to: '/', search: { reason: 'session_ended', next: next === '/' ? undefined : next } });
});
