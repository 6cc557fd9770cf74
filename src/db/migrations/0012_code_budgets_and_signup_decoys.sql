-- Pactum schema, chapter 12: codes for verified accounts cannot be starved, and signup tells nobody
-- which e-mail addresses have accounts.
--
-- Until now every code sent counted against one set of caps per number, per company and overall. Anyone
-- could start anonymous signups at a victim's number (or anywhere, for the global cap) and so keep the
-- victim, or every company, from receiving login codes. Deliveries now say what they were for. Codes for
-- existing, active accounts (login, password reset, step-up, the old number of a phone change) are
-- counted only against each other; codes for purposes nobody has verified yet (signups, invitation
-- acceptances, the new number of a phone change) have their own per-number and global budgets. When the
-- unverified global budget is spent only signups are refused; a number that belongs to an active account
-- receives at most a few signup codes per day.
--
-- A signup for an address that already has an account answers like any other signup, with a challenge
-- that no code will ever match: a signup decoy. Verifying or resending it behaves like a real challenge
-- whose code is wrong.

ALTER TABLE otp_deliveries
  -- NULL for deliveries recorded before this chapter (they age out within two days).
  ADD COLUMN purpose text CHECK (purpose IN ('signup', 'login', 'step_up', 'password_reset', 'invitation', 'phone_change')),
  ADD COLUMN unverified boolean NOT NULL DEFAULT false;
CREATE INDEX otp_deliveries_unverified_time ON otp_deliveries (sent_at) WHERE unverified;

-- Finds whether a number belongs to an active account, across tenants.
CREATE INDEX users_active_phone ON users (phone_e164) WHERE status = 'active';

-- When a budget last crossed its warning level: one log line per budget and hour, for every node.
CREATE TABLE otp_budget_warnings (
  budget     text PRIMARY KEY CHECK (length(budget) <= 100),
  warned_at  timestamptz NOT NULL
);
SELECT pactum_seal_global_table('otp_budget_warnings');

-- Seconds until the oldest of the newest p_cap rows counted falls out of its window, or NULL while
-- fewer than p_cap were counted. p_times are the send times inside the window.
CREATE FUNCTION pactum_window_wait(p_times timestamptz[], p_cap integer, p_window interval) RETURNS integer
  LANGUAGE sql STABLE
  AS $$
  SELECT CASE WHEN coalesce(cardinality(p_times), 0) >= p_cap THEN
    greatest(1, ceil(extract(epoch FROM
      (SELECT min(t) FROM (SELECT t FROM unnest(p_times) AS t ORDER BY t DESC LIMIT p_cap) newest) + p_window - now())))::integer
  END
$$;

-- Records a code about to be sent for the current tenant if its budget allows, otherwise answers how many
-- seconds to wait. p_unverified chooses the budget; the caps passed are that budget's. The global cap of
-- the unverified budget refuses signups only (invitations and new numbers come from verified users, and
-- have their own limits). warning names a budget that has just reached 80 % and was not reported in the
-- last hour, so that exactly one log line goes out per budget and hour. Serialised by an advisory lock.
CREATE FUNCTION pactum_claim_code_delivery(
  p_phone text, p_purpose text, p_is_resend boolean, p_unverified boolean,
  p_number_hourly integer, p_resends_hourly integer, p_tenant_hourly integer, p_global_hourly integer,
  p_signups_per_active_number_daily integer)
  RETURNS TABLE (wait integer, warning text, used integer, cap integer)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  hour_ago timestamptz := now() - interval '1 hour';
  refused integer;
  global_used integer;
  number_used integer;
BEGIN
  IF pactum_current_tenant() IS NULL THEN
    RAISE EXCEPTION 'pactum_claim_code_delivery needs a tenant context';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('pactum_claim_otp_delivery'));

  refused := coalesce(
    pactum_window_wait(ARRAY(
      SELECT sent_at FROM otp_deliveries
       WHERE phone_e164 = p_phone AND unverified = p_unverified AND sent_at > hour_ago), p_number_hourly, interval '1 hour'),
    CASE WHEN p_is_resend THEN pactum_window_wait(ARRAY(
      SELECT sent_at FROM otp_deliveries
       WHERE phone_e164 = p_phone AND unverified = p_unverified AND is_resend AND sent_at > hour_ago), p_resends_hourly, interval '1 hour') END,
    pactum_window_wait(ARRAY(
      SELECT sent_at FROM otp_deliveries
       WHERE tenant_id = pactum_current_tenant() AND unverified = p_unverified AND sent_at > hour_ago), p_tenant_hourly, interval '1 hour'),
    CASE WHEN NOT p_unverified OR p_purpose = 'signup' THEN pactum_window_wait(ARRAY(
      SELECT sent_at FROM otp_deliveries
       WHERE unverified = p_unverified AND sent_at > hour_ago), p_global_hourly, interval '1 hour') END,
    CASE WHEN p_purpose = 'signup' AND EXISTS (
      SELECT 1 FROM users u JOIN tenants t ON t.id = u.tenant_id
       WHERE u.phone_e164 = p_phone AND u.status = 'active' AND t.status = 'active')
    THEN pactum_window_wait(ARRAY(
      SELECT sent_at FROM otp_deliveries
       WHERE phone_e164 = p_phone AND purpose = 'signup' AND sent_at > now() - interval '1 day'),
      p_signups_per_active_number_daily, interval '1 day') END);
  IF refused IS NOT NULL THEN
    RETURN QUERY SELECT refused, NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;

  INSERT INTO otp_deliveries (tenant_id, phone_e164, is_resend, purpose, unverified)
  VALUES (pactum_current_tenant(), p_phone, p_is_resend, p_purpose, p_unverified);
  DELETE FROM otp_deliveries WHERE sent_at < now() - interval '2 days';

  IF p_unverified THEN
    SELECT count(*) INTO global_used FROM otp_deliveries WHERE unverified AND sent_at > hour_ago;
    SELECT count(*) INTO number_used FROM otp_deliveries WHERE unverified AND phone_e164 = p_phone AND sent_at > hour_ago;
    IF global_used * 5 >= p_global_hourly * 4 AND pactum_note_budget_warning('unverified_global') THEN
      RETURN QUERY SELECT 0, 'unverified_global'::text, global_used, p_global_hourly;
      RETURN;
    END IF;
    IF number_used * 5 >= p_number_hourly * 4 AND pactum_note_budget_warning('unverified_number:' || p_phone) THEN
      RETURN QUERY SELECT 0, 'unverified_number'::text, number_used, p_number_hourly;
      RETURN;
    END IF;
  END IF;
  RETURN QUERY SELECT 0, NULL::text, NULL::integer, NULL::integer;
END
$$;

-- True (and noted) when the budget was not reported within the last hour.
CREATE FUNCTION pactum_note_budget_warning(p_budget text) RETURNS boolean
  LANGUAGE sql SET search_path = public, pg_temp
  AS $$
  DELETE FROM otp_budget_warnings WHERE warned_at < now() - interval '2 days';
  INSERT INTO otp_budget_warnings AS w (budget, warned_at) VALUES (p_budget, now())
  ON CONFLICT (budget) DO UPDATE SET warned_at = now() WHERE w.warned_at <= now() - interval '1 hour'
  RETURNING true;
$$;

-- The caps are now claimed per budget; the old door counted every purpose together.
DROP FUNCTION pactum_claim_otp_delivery(text, boolean, integer, integer, integer, integer);

-- Challenges answered to signups for registered addresses. No code exists for them; the owner's tenant
-- is kept so that a resend counts against the same budgets as a real one.
CREATE TABLE signup_decoys (
  id               uuid PRIMARY KEY,
  tenant_id        uuid NOT NULL,
  phone_e164       text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  channel          text NOT NULL CHECK (channel IN ('sms', 'voice')),
  expires_at       timestamptz NOT NULL,
  last_sent_at     timestamptz NOT NULL DEFAULT now(),
  failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0)
);
CREATE INDEX signup_decoys_expiry ON signup_decoys (expires_at);
SELECT pactum_seal_global_table('signup_decoys');

CREATE FUNCTION pactum_record_signup_decoy(p_id uuid, p_phone text, p_channel text, p_ttl_seconds integer) RETURNS timestamptz
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DELETE FROM signup_decoys WHERE expires_at < now() - interval '1 day';
  INSERT INTO signup_decoys (id, tenant_id, phone_e164, channel, expires_at)
  VALUES (p_id, pactum_current_tenant(), p_phone, p_channel, now() + make_interval(secs => p_ttl_seconds))
  RETURNING expires_at;
$$;

-- The decoy behind a challenge id, locked for the rest of the transaction; nothing for other ids.
CREATE FUNCTION pactum_lock_signup_decoy(p_id uuid)
  RETURNS TABLE (tenant_id uuid, phone_e164 text, channel text, expires_at timestamptz, last_sent_at timestamptz, failed_attempts integer)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT tenant_id, phone_e164, channel, expires_at, last_sent_at, failed_attempts FROM signup_decoys WHERE id = p_id FOR UPDATE
$$;

CREATE FUNCTION pactum_signup_decoy_failed_attempt(p_id uuid) RETURNS integer
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ UPDATE signup_decoys SET failed_attempts = failed_attempts + 1 WHERE id = p_id RETURNING failed_attempts $$;

CREATE FUNCTION pactum_signup_decoy_resent(p_id uuid, p_channel text, p_ttl_seconds integer) RETURNS timestamptz
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  UPDATE signup_decoys SET channel = p_channel, last_sent_at = now(), expires_at = now() + make_interval(secs => p_ttl_seconds)
   WHERE id = p_id RETURNING expires_at
$$;

REVOKE EXECUTE ON FUNCTION
  pactum_window_wait(timestamptz[], integer, interval),
  pactum_note_budget_warning(text),
  pactum_claim_code_delivery(text, text, boolean, boolean, integer, integer, integer, integer, integer),
  pactum_record_signup_decoy(uuid, text, text, integer),
  pactum_lock_signup_decoy(uuid),
  pactum_signup_decoy_failed_attempt(uuid),
  pactum_signup_decoy_resent(uuid, text, integer)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  pactum_claim_code_delivery(text, text, boolean, boolean, integer, integer, integer, integer, integer),
  pactum_record_signup_decoy(uuid, text, text, integer),
  pactum_lock_signup_decoy(uuid),
  pactum_signup_decoy_failed_attempt(uuid),
  pactum_signup_decoy_resent(uuid, text, integer)
  TO pactum_app;
