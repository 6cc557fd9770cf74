import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { isSessionRefused } from '../db/errors.js';
import type { Schema } from '../db/schema.js';
import { readInSession, readSnapshotInSession, type Tx } from '../db/tenant-context.js';
import { unauthenticated } from '../http/problem.js';
import type { Actor, SessionGuard } from './actor.js';
import type { TenantGate } from '../http/tenant-gate.js';
import * as queries from './queries.js';
import { hashSecretToken, newSecretToken } from './secret-tokens.js';
import type { SessionTenants } from './session-tenants.js';

export const IDLE_TIMEOUT_SECONDS = 30 * 60;
export const ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60;

/** `__Host-` pins the cookie to our origin over https; plain-http localhost cannot use the prefix. */
export function sessionCookieName(publicUrl: URL): string {
  return publicUrl.protocol === 'https:' ? '__Host-pactum_session' : 'pactum_session';
}

export const hashToken = hashSecretToken;

/** 256 bits from the CSPRNG; only the SHA-256 is stored. */
export const newSessionToken = newSecretToken;

export async function startSession(
  tx: Tx,
  userId: string,
  client: { ip: string | null; userAgent: string | null },
): Promise<{ token: string; sessionId: string }> {
  const { token, tokenHash } = newSessionToken();
  const session = await queries.insertSession(tx, {
    userId,
    tokenHash,
    absoluteSeconds: ABSOLUTE_TIMEOUT_SECONDS,
    clientIp: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  });
  return { token, sessionId: session.id };
}

export interface SessionCookies {
  name: string;
  set(reply: FastifyReply, token: string): void;
  clear(reply: FastifyReply): void;
  read(request: FastifyRequest): string | undefined;
}

export function createSessionCookies(publicUrl: URL): SessionCookies {
  const name = sessionCookieName(publicUrl);
  const secure = publicUrl.protocol === 'https:';
  const attributes = { httpOnly: true, sameSite: 'strict' as const, path: '/', secure };
  return {
    name,
    set: (reply, token) => void reply.setCookie(name, token, { ...attributes, maxAge: ABSOLUTE_TIMEOUT_SECONDS }),
    clear: (reply) => void reply.clearCookie(name, attributes),
    read: (request) => {
      const value = request.cookies[name];
      return value && value.length <= 100 ? value : undefined;
    },
  };
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where a request waits for its tenant's turn before its transaction takes a connection. */
export interface TenantFairness {
  tenants: SessionTenants;
  gate: TenantGate;
}

export function createSessionGuard(kysely: Kysely<Schema>, cookies: SessionCookies, fairness?: TenantFairness): SessionGuard {
  const tokenHashOf = (request: FastifyRequest) => {
    const token = cookies.read(request);
    if (!token) throw unauthenticated();
    return hashToken(token);
  };
  // The tenant is known only from the session; the turn is taken before the transaction, so a company
  // holds at most its share of the pool's connections, and what it sends beyond that waits here.
  const inTurn = async <T>(tokenHash: Buffer, work: () => Promise<T>): Promise<T> => {
    if (!fairness) return work();
    const tenantId = await fairness.tenants.tenantOf(tokenHash);
    if (!tenantId) throw unauthenticated();
    return fairness.gate.run(tenantId, work);
  };
  const holdForWrites = async (request: FastifyRequest, tx: Tx, sessionId: string) => {
    if (!READS.has(request.method) && !(await queries.holdLiveSession(tx, sessionId))) throw unauthenticated();
  };

  const withActor = <T>(request: FastifyRequest, work: (tx: Tx, actor: Actor) => Promise<T>): Promise<T> => {
    const tokenHash = tokenHashOf(request);
    return inTurn(tokenHash, () =>
      kysely.transaction().execute(async (tx) => {
        const live = await queries.enterSession(tx, tokenHash, IDLE_TIMEOUT_SECONDS);
        if (!live) throw unauthenticated();
        const result = await work(tx, actorOf(live));
        await holdForWrites(request, tx, live.session_id);
        return result;
      }),
    );
  };

  const scoped = <T>(request: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T> => {
    if (!READS.has(request.method)) throw new Error(`withSession.scoped serves reads, not ${request.method}`);
    const tokenHash = tokenHashOf(request);
    return inTurn(tokenHash, () => readInSession(kysely, { tokenHash, idleSeconds: IDLE_TIMEOUT_SECONDS }, work)).catch(
      refusedAsUnauthenticated,
    );
  };

  const snapshot = <T>(request: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T> => {
    if (!READS.has(request.method)) throw new Error(`withSession.snapshot serves reads, not ${request.method}`);
    const tokenHash = tokenHashOf(request);
    return inTurn(tokenHash, () => readSnapshotInSession(kysely, { tokenHash, idleSeconds: IDLE_TIMEOUT_SECONDS }, work)).catch(
      refusedAsUnauthenticated,
    );
  };

  return Object.assign(withActor, { scoped, snapshot });
}

function refusedAsUnauthenticated(error: unknown): never {
  throw isSessionRefused(error) ? unauthenticated() : error;
}

function actorOf(live: queries.LiveSession): Actor {
  return {
    sessionId: live.session_id,
    tenantId: live.tenant_id,
    userId: live.user_id,
    role: live.role,
    authenticatedAt: new Date(live.authenticated_at),
  };
}
