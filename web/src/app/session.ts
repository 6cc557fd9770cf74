import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { isProblem } from '../api/problem';
import type { Success } from '../api/types';

export type Me = Success<'/api/v1/me'>;

/** Who is signed in, or null: a 401 from /me is an answer here, not an error. */
export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async (): Promise<Me | null> => {
    try {
      return (await unwrap(api.GET('/api/v1/me'))) as Me;
    } catch (error) {
      if (isProblem(error, 'unauthenticated')) return null;
      throw error;
    }
  },
  staleTime: 60_000,
});

export function useMe(): Me | null {
  return useQuery(meQuery).data ?? null;
}

export function useIsMaster(): boolean {
  return useMe()?.user.role === 'master';
}
