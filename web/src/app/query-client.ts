import { MutationCache, QueryClient } from '@tanstack/react-query';
import { ApiProblem } from '../api/problem';

/** A 4xx will not get better by asking again; a dropped connection or a 503 might. */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiProblem && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

/**
 * Screens that sum up the vault (dashboard, deadlines, holdings and product pages, lists) read what any
 * change of a contract, line item, proposal or vendor may alter: after every successful change they are
 * marked stale, and the ones on screen fetched again, so no view keeps yesterday's totals for 30 s.
 */
const VAULT_VIEWS = new Set(['dashboard', 'deadlines', 'products', 'licenses', 'contracts', 'vendors']);

export function refreshVaultViews() {
  return queryClient.invalidateQueries({ predicate: (query) => VAULT_VIEWS.has(String(query.queryKey[0])) });
}

/*
 * A change refused with 402 subscription_inactive means the company became read-only since /me was read:
 * fetch /me again so the shell's banner says so (the screen shows the catalogue message itself).
 */
const mutationCache = new MutationCache({
  onSuccess: () => void refreshVaultViews(),
  onError: (error) => {
    if (error instanceof ApiProblem && error.code === 'subscription_inactive') void queryClient.invalidateQueries({ queryKey: ['me'] });
  },
});

export const queryClient = new QueryClient({
  mutationCache,
  defaultOptions: {
    queries: { retry: shouldRetry, staleTime: 30_000, refetchOnWindowFocus: true },
    mutations: { retry: false },
  },
});
