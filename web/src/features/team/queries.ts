import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { Success } from '../../api/types';

export type TeamUser = Success<'/api/v1/users'>['items'][number];
export type AccessGroup = Success<'/api/v1/groups'>['items'][number];
export type AuditEvent = Success<'/api/v1/audit-events'>['items'][number];
export type Invitation = Success<'/api/v1/users/{id}/invitation', 'post'>;

/** Lists are bounded (at most 500 a page); a team or its groups are read whole, page after page. */
const PAGE = 500;
/** A company with more users than this is not what the Team screen is for; stop instead of looping on. */
const MOST_PAGES = 20;

async function readAll<T>(readPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < MOST_PAGES; pages += 1) {
    const result = await readPage(cursor);
    items.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return items;
}

export const usersQuery = queryOptions({
  queryKey: ['users'],
  queryFn: () => readAll((cursor) => unwrap(api.GET('/api/v1/users', { params: { query: { limit: PAGE, cursor } } }))),
});

export const groupsQuery = queryOptions({
  queryKey: ['groups'],
  queryFn: () => readAll((cursor) => unwrap(api.GET('/api/v1/groups', { params: { query: { limit: PAGE, cursor } } }))),
});

export function useUsers() {
  return useQuery(usersQuery);
}

export function useGroups() {
  return useQuery(groupsQuery);
}

/** Names by id, for tables that show who did what or who belongs where (revoked users keep their name). */
export function byId<T extends { id: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.id, item]));
}

/** People who can take something over or join a group: active users, by name. */
export function activeUsers(users: readonly TeamUser[] | undefined, except?: string): TeamUser[] {
  return (users ?? []).filter((user) => user.status === 'active' && user.id !== except).sort((a, b) => a.name.localeCompare(b.name));
}

/** A 409's list of contracts (handover_required, group_in_use): the ones the caller may see, and a count of the rest. */
export interface ContractsInTheWay {
  contracts: Array<{ id: string; title: string; managed?: boolean }>;
  hiddenContractCount: number;
}

export function contractsInTheWay(body: Record<string, unknown>): ContractsInTheWay {
  const listed = Array.isArray(body.contracts) ? body.contracts : [];
  const contracts = listed
    .filter(
      (item): item is { id: string; title: string; managed?: boolean } => typeof item?.id === 'string' && typeof item?.title === 'string',
    )
    .map(({ id, title, managed }) => ({ id, title, managed: managed === true }));
  const hidden = typeof body.hiddenContractCount === 'number' ? body.hiddenContractCount : 0;
  return { contracts, hiddenContractCount: hidden };
}
