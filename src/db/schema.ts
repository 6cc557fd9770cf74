import type { ColumnType, Generated } from 'kysely';

/** Columns the database fills (defaults from the tenant context, clocks, generated ids). */
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantsTable {
  id: string;
  name: string;
  status: Defaulted<'pending' | 'active'>;
  created_at: Timestamp;
}

export interface UsersTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  name: string;
  email: string;
  phone_e164: string | null;
  phone_country: string | null;
  password_hash: string | null;
  role: 'master' | 'member';
  status: 'pending' | 'active' | 'revoked';
  created_at: Timestamp;
  activated_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export type SessionEndReason =
  | 'logout'
  | 'logout_all'
  | 'password_changed'
  | 'revoked'
  | 'ended_by_user'
  | 'ended_by_master';

export interface SessionsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  authenticated_at: Timestamp;
  expires_at: Date | string;
  ended_at: NullableTimestamp;
  ended_reason: SessionEndReason | null;
  client_ip: string | null;
  user_agent: string | null;
}

export type ChallengePurpose = 'signup' | 'login' | 'step_up' | 'password_reset' | 'invitation' | 'phone_change';

export interface OtpChallengesTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  user_id: string;
  purpose: ChallengePurpose;
  session_id: string | null;
  phone_e164: string;
  channel: 'sms' | 'voice';
  language: 'en' | 'de' | 'fr' | 'it';
  code_hash: Buffer;
  created_at: Timestamp;
  expires_at: Date | string;
  last_sent_at: Timestamp;
  send_count: Defaulted<number>;
  failed_attempts: Defaulted<number>;
  consumed_at: NullableTimestamp;
}

export interface PactumMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

/** Tables the application role can reach. Global tables behind SECURITY DEFINER functions are absent on purpose. */
export interface Schema {
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  otp_challenges: OtpChallengesTable;
}
