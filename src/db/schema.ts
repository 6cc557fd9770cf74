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

export type SessionEndReason = 'logout' | 'logout_all' | 'password_changed' | 'revoked' | 'ended_by_user' | 'ended_by_master';

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
  new_phone_e164: ColumnType<string | null, string | null | undefined, string | null>;
  new_password_hash: ColumnType<string | null, string | null | undefined, string | null>;
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

export interface AccessGroupsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  name: string;
  description: string | null;
  created_at: Timestamp;
}

export interface AccessGroupMembersTable {
  tenant_id: Defaulted<string>;
  group_id: string;
  user_id: string;
  added_at: Timestamp;
}

export type LicenceMetric =
  | 'user'
  | 'named_user'
  | 'concurrent_user'
  | 'device'
  | 'core'
  | 'processor'
  | 'server'
  | 'instance'
  | 'site'
  | 'enterprise'
  | 'subscription'
  | 'other';

export interface VendorsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  name: string;
  website: string | null;
  notes: string | null;
  aliases: Defaulted<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VendorMetricsTable {
  tenant_id: Defaulted<string>;
  vendor_id: string;
  metric: LicenceMetric;
  definition: string;
}

export interface ProductsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  vendor_id: string;
  name: string;
  sku: string | null;
  metric: LicenceMetric;
  block_size: Defaulted<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ContractKind = 'contract' | 'proposal';
export type ContractStatus = 'active' | 'expired' | 'terminated' | 'pending' | 'accepted' | 'rejected' | 'superseded';

/** numeric columns travel as strings both ways: never through a float. */
type Decimal = ColumnType<string, string, string>;
type NullableDecimal = ColumnType<string | null, string | null | undefined, string | null>;

export interface ContractsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  vendor_id: string;
  kind: ContractKind;
  reference: string | null;
  title: string;
  status: ContractStatus;
  signed_on: string | null;
  starts_on: string;
  ends_on: string | null;
  notice_period_days: number | null;
  auto_renew: Defaulted<boolean>;
  renewal_term_months: number | null;
  currency: string;
  manager_id: string;
  terms: string | null;
  supersedes_id: string | null;
  restricted: ColumnType<boolean, never, never>;
  archived_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContractGroupsTable {
  tenant_id: Defaulted<string>;
  contract_id: string;
  group_id: string;
}

export interface LineItemsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  contract_id: string;
  position: number;
  product_id: string;
  quantity: number;
  block_size: number;
  list_unit_price: Decimal;
  discount_percent: NullableDecimal;
  net_unit_price: Decimal;
  maintenance_percent: NullableDecimal;
  terms: string | null;
  /** The contract's `restricted` flag, kept by triggers (migration 0006); writes leave it out. */
  contract_restricted: ColumnType<boolean, never, never>;
}

export interface TenantKeysTable {
  tenant_id: Defaulted<string>;
  version: Defaulted<number>;
  wrapped_key: Buffer;
  created_at: Timestamp;
}

export type DocumentContentType = 'application/pdf' | 'image/jpeg' | 'image/png';

export interface DocumentsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  contract_id: string;
  filename: string;
  content_type: DocumentContentType;
  /** bigint in SQL; node-postgres hands it over as a string. */
  size_bytes: ColumnType<string | number, number, number>;
  sha256: Buffer;
  storage_key: string;
  key_version: number;
  uploaded_by: string;
  created_at: Timestamp;
}

export interface ReminderDeliveriesTable {
  tenant_id: Defaulted<string>;
  contract_id: string;
  deadline_type: 'notice' | 'end';
  deadline: string;
  lead_days: number;
  recipient_id: string;
  /** Set once the mail server took the message (migration 0008). */
  sent_at: NullableTimestamp;
  claimed_at: Defaulted<Date>;
  failures: Defaulted<number>;
  /** The last send failed before the server took the message: the job may claim it again. */
  retryable: Defaulted<boolean>;
  last_failure: string | null;
}

export interface InvitationsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  user_id: string;
  invited_by: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Date | string;
  accepted_at: NullableTimestamp;
  ended_at: NullableTimestamp;
}

export interface PasswordResetsTable {
  tenant_id: Defaulted<string>;
  id: Defaulted<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Date | string;
  used_at: NullableTimestamp;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** seq, occurred_at, prev_hash and hash are set by the chaining trigger; inserts leave them out. */
export interface AuditEventsTable {
  tenant_id: Defaulted<string>;
  seq: ColumnType<string, never, never>;
  id: Defaulted<string>;
  occurred_at: ColumnType<Date, never, never>;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  outcome: AuditOutcome;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  prev_hash: ColumnType<Buffer | null, never, never>;
  hash: ColumnType<Buffer, never, never>;
}

/** Per actor: refusals recorded and only counted in the current minute (migration 0010). */
export interface AuditRefusalBudgetsTable {
  tenant_id: Defaulted<string>;
  actor_id: string;
  window_start: Date | string;
  recorded: number;
  suppressed: number;
}

export type StripeSubscriptionStatus =
  'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

/** A company's Stripe customer and subscription as the newest applied event told it (migration 0016). */
export interface BillingAccountsTable {
  tenant_id: Defaulted<string>;
  stripe_customer_id: string;
  stripe_subscription_id: string | null;
  subscription_status: StripeSubscriptionStatus | null;
  current_period_end: NullableTimestamp;
  subscribed_seats: number | null;
  past_due_since: NullableTimestamp;
  state_as_of: NullableTimestamp;
  /** bigint in SQL; node-postgres hands it over as a string. */
  seat_version: ColumnType<string, never, string | number>;
  synced_seat_version: ColumnType<string, never, string | number>;
  seat_sync_claimed_until: NullableTimestamp;
  seat_sync_failures: Defaulted<number>;
  seat_sync_next_at: NullableTimestamp;
  seat_sync_last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Tables the application role can reach. Global tables behind SECURITY DEFINER functions are absent on purpose. */
export interface Schema {
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  otp_challenges: OtpChallengesTable;
  access_groups: AccessGroupsTable;
  access_group_members: AccessGroupMembersTable;
  vendors: VendorsTable;
  vendor_metrics: VendorMetricsTable;
  products: ProductsTable;
  contracts: ContractsTable;
  contract_groups: ContractGroupsTable;
  line_items: LineItemsTable;
  tenant_keys: TenantKeysTable;
  documents: DocumentsTable;
  reminder_deliveries: ReminderDeliveriesTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  audit_events: AuditEventsTable;
  audit_refusal_budgets: AuditRefusalBudgetsTable;
  billing_accounts: BillingAccountsTable;
}
