-- Pactum schema, chapter 16: billing through Stripe (hosted Checkout, Customer Portal, signed webhooks).
--
-- Card data never reaches Pactum (PCI DSS SAQ A): what is kept here is Stripe's ids for the company's
-- customer and subscription, the subscription's state as Stripe last told it, and the bookkeeping that
-- keeps the subscription's quantity equal to the company's active users. A company without a row is on
-- its trial (30 days from tenants.created_at); the row appears when its master first opens Checkout.

CREATE TABLE billing_accounts (
  tenant_id               uuid PRIMARY KEY DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  stripe_customer_id      text NOT NULL CHECK (stripe_customer_id ~ '^cus_[A-Za-z0-9]{1,200}$'),
  stripe_subscription_id  text CHECK (stripe_subscription_id ~ '^sub_[A-Za-z0-9]{1,200}$'),
  -- Stripe's own subscription status, as the newest event applied so far carried it.
  subscription_status     text CHECK (subscription_status IN
                            ('trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused')),
  current_period_end      timestamptz,
  subscribed_seats        integer CHECK (subscribed_seats >= 0),
  -- When a payment first failed (the failing event's time); the 14-day grace period counts from here.
  past_due_since          timestamptz,
  -- The time of the newest Stripe object applied (the event's `created`, when Stripe took the snapshot
  -- it carries): an older snapshot arriving late never rolls the state back.
  state_as_of             timestamptz,
  -- Seats: every change of who is active bumps seat_version (trigger below, in the same transaction
  -- as the change); the seat sync after commit brings Stripe's quantity up to date and records the
  -- version it sent. A claim keeps two nodes from syncing one company at once.
  seat_version            bigint NOT NULL DEFAULT 0,
  synced_seat_version     bigint NOT NULL DEFAULT 0,
  seat_sync_claimed_until timestamptz,
  seat_sync_failures      integer NOT NULL DEFAULT 0 CHECK (seat_sync_failures >= 0),
  seat_sync_next_at       timestamptz,
  seat_sync_last_error    text CHECK (length(seat_sync_last_error) <= 200),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
-- Not unique: a unique key on a tenant table must include tenant_id (it is checked across tenants). Stripe
-- makes a new id per customer, so two companies never share one; the door below answers only when
-- exactly one company has it.
CREATE INDEX billing_accounts_customer ON billing_accounts (stripe_customer_id);
CREATE INDEX billing_accounts_seat_sync ON billing_accounts (seat_sync_next_at) WHERE seat_version > synced_seat_version;
SELECT pactum_isolate_tenant_table('billing_accounts', 'tenant_id');
GRANT SELECT, INSERT, UPDATE ON billing_accounts TO pactum_app;

-- A change of who is active (activation, revocation) marks the company's seats for syncing, in the
-- transaction of the change itself, so a change that commits is never forgotten and one that rolls back
-- leaves nothing behind. Runs as the caller (pactum_app), under row-level security.
CREATE FUNCTION pactum_billing_mark_seats() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public, pg_temp
  AS $$
BEGIN
  UPDATE billing_accounts SET seat_version = seat_version + 1, seat_sync_next_at = now(), seat_sync_failures = 0
   WHERE tenant_id = NEW.tenant_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_billing_seats_insert AFTER INSERT ON users
  FOR EACH ROW WHEN (NEW.status = 'active') EXECUTE FUNCTION pactum_billing_mark_seats();
CREATE TRIGGER users_billing_seats_update AFTER UPDATE OF status ON users
  FOR EACH ROW WHEN ((OLD.status = 'active') IS DISTINCT FROM (NEW.status = 'active')) EXECUTE FUNCTION pactum_billing_mark_seats();

-- Every webhook event id, once: a replay is acknowledged and ignored. Global (an event names its tenant
-- only through its customer) and sealed; reached through pactum_billing_claim_event only.
CREATE TABLE billing_webhook_events (
  event_id     text PRIMARY KEY CHECK (event_id ~ '^evt_[A-Za-z0-9_]{1,200}$'),
  event_type   text NOT NULL CHECK (length(event_type) <= 100),
  tenant_id    uuid,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_webhook_events_received ON billing_webhook_events (received_at);
SELECT pactum_seal_global_table('billing_webhook_events');

-- The webhook has no session: the tenant behind a Stripe customer id. Answers only for an id the
-- caller already holds (Stripe's, inside a payload whose signature was verified), and only the tenant id.
CREATE FUNCTION pactum_billing_customer_tenant(p_customer_id text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT CASE WHEN count(*) = 1 THEN min(tenant_id::text)::uuid END FROM billing_accounts WHERE stripe_customer_id = p_customer_id
$$;

-- Records an event id for the current tenant (or none); true the first time, false for a replay. Stripe
-- retries for 3 days and the signature is only accepted for 5 minutes, so ids older than 90 days can go.
CREATE FUNCTION pactum_billing_claim_event(p_event_id text, p_event_type text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  claimed boolean;
BEGIN
  INSERT INTO billing_webhook_events (event_id, event_type, tenant_id)
  VALUES (p_event_id, p_event_type, pactum_current_tenant())
  ON CONFLICT (event_id) DO NOTHING
  RETURNING true INTO claimed;
  DELETE FROM billing_webhook_events WHERE received_at < now() - interval '90 days';
  RETURN coalesce(claimed, false);
END
$$;

-- The seat sync job has no tenant either: which companies have seats to sync now (nothing else).
CREATE FUNCTION pactum_billing_seat_sync_due(p_limit integer) RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT tenant_id FROM billing_accounts
   WHERE seat_version > synced_seat_version
     AND (seat_sync_next_at IS NULL OR seat_sync_next_at <= now())
     AND (seat_sync_claimed_until IS NULL OR seat_sync_claimed_until < now())
   ORDER BY seat_sync_next_at NULLS FIRST
   LIMIT least(p_limit, 1000)
$$;

REVOKE EXECUTE ON FUNCTION pactum_billing_mark_seats(), pactum_billing_customer_tenant(text), pactum_billing_claim_event(text, text),
  pactum_billing_seat_sync_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_billing_customer_tenant(text), pactum_billing_claim_event(text, text), pactum_billing_seat_sync_due(integer)
  TO pactum_app;
