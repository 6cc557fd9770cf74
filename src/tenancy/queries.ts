import { sql } from 'kysely';
import type { Tx } from '../db/tenant-context.js';
import type { Cursor } from '../http/pagination.js';

export type UserStatus = 'pending' | 'active' | 'revoked';

/** Users with the ids of their access groups, by name; `cursor_key` is the lower-cased name. */
export function listUsers(tx: Tx, options: { status?: UserStatus; after: Cursor | null; limit: number }) {
  let query = tx
    .selectFrom('users')
    .selectAll()
    .select([
      sql<string[]>`coalesce((SELECT array_agg(m.group_id::text ORDER BY m.group_id) FROM access_group_members m
                               WHERE m.tenant_id = users.tenant_id AND m.user_id = users.id), '{}'::text[])`.as('group_ids'),
      sql<string>`lower(name)`.as('cursor_key'),
    ]);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.after) {
    const after = options.after;
    query = query.where(sql<boolean>`(lower(name), id) > (${after.key}, ${after.id}::uuid)`);
  }
  return query
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .limit(options.limit + 1)
    .execute();
}

/** Locks the user for a change of role or status; concurrent changes of the same user queue up. */
export function lockUser(tx: Tx, userId: string) {
  return tx.selectFrom('users').selectAll().where('id', '=', userId).forUpdate().executeTakeFirst();
}

export function findUserByEmail(tx: Tx, email: string) {
  return tx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * Serialises changes that could leave the tenant without an active master (demotion, revocation): two
 * masters demoting each other at the same moment would otherwise each still see the other. FOR NO KEY
 * UPDATE does not block inserts that merely reference the tenant (users, audit events).
 */
export async function lockTenantForRoleChanges(tx: Tx): Promise<void> {
  await sql`SELECT id FROM tenants FOR NO KEY UPDATE`.execute(tx);
}

export async function countOtherActiveMasters(tx: Tx, exceptUserId: string): Promise<number> {
  const row = await tx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('role', '=', 'master')
    .where('status', '=', 'active')
    .where('id', '<>', exceptUserId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export function updateUser(tx: Tx, userId: string, patch: { name?: string; role?: 'master' | 'member' }) {
  return tx.updateTable('users').set(patch).where('id', '=', userId).returningAll().executeTakeFirstOrThrow();
}

export function markRevoked(tx: Tx, userId: string) {
  return tx
    .updateTable('users')
    .set({ status: 'revoked', revoked_at: sql`now()` })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function insertInvitation(tx: Tx, invitation: { userId: string; invitedBy: string; tokenHash: Buffer; ttlSeconds: number }) {
  return tx
    .insertInto('invitations')
    .values({
      user_id: invitation.userId,
      invited_by: invitation.invitedBy,
      token_hash: invitation.tokenHash,
      expires_at: sql`now() + make_interval(secs => ${invitation.ttlSeconds})`,
    })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
}

/** Withdraws the user's invitations that were not accepted yet. */
export async function endOpenInvitations(tx: Tx, userId: string): Promise<number> {
  const result = await tx
    .updateTable('invitations')
    .set({ ended_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('accepted_at', 'is', null)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function invitationTenant(tx: Tx, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await sql<{ tenant_id: string | null }>`SELECT pactum_invitation_tenant(${tokenHash}) AS tenant_id`.execute(tx);
  return rows[0]?.tenant_id ?? null;
}

/** The invitation behind a link with its state, locked so that two acceptances queue up. */
export function lockInvitation(tx: Tx, tokenHash: Buffer) {
  return tx
    .selectFrom('invitations')
    .select(['id', 'user_id', 'accepted_at', 'ended_at', sql<boolean>`expires_at > now()`.as('unexpired')])
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function setCredentials(
  tx: Tx,
  userId: string,
  credentials: { passwordHash: string; phoneE164: string; phoneCountry: string },
) {
  await tx
    .updateTable('users')
    .set({ password_hash: credentials.passwordHash, phone_e164: credentials.phoneE164, phone_country: credentials.phoneCountry })
    .where('id', '=', userId)
    .execute();
}

export interface HandoverContract {
  contract_id: string;
  managed: boolean;
}

/**
 * Found by the database over the whole tenant (also contracts the revoking master cannot see); see the
 * SQL function. Only ids are read: titles come through row-level security (visibleContractTitles).
 */
export async function contractsNeedingHandover(tx: Tx, userId: string): Promise<HandoverContract[]> {
  const { rows } = await sql<HandoverContract>`SELECT contract_id, managed FROM pactum_contracts_needing_handover(${userId}::uuid)`.execute(
    tx,
  );
  return rows;
}

export async function handOverContracts(tx: Tx, userId: string, successorId: string): Promise<number> {
  const { rows } = await sql<{
    handed: number;
  }>`SELECT pactum_hand_over_contracts(${userId}::uuid, ${successorId}::uuid) AS handed`.execute(tx);
  return Number(rows[0]?.handed ?? 0);
}

/** A user's sessions that would still let a request in (the same test as pactum_enter_session), newest first. */
export function listLiveSessions(tx: Tx, userId: string, options: { idleSeconds: number; after: Cursor | null; limit: number }) {
  let query = tx
    .selectFrom('sessions')
    .select([
      'id',
      'created_at',
      'last_seen_at',
      'client_ip',
      'user_agent',
      sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_key'),
    ])
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${options.idleSeconds})`);
  if (options.after) {
    query = query.where(sql<boolean>`(created_at, id) < (${options.after.key}::timestamptz, ${options.after.id}::uuid)`);
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
}

/** Ends one live session of the user; false when there is none by that id (ended, expired, someone else's). */
export async function endLiveSession(tx: Tx, userId: string, sessionId: string, reason: 'ended_by_user'): Promise<boolean> {
  const result = await tx
    .updateTable('sessions')
    .set({ ended_at: sql`now()`, ended_reason: reason })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
