-- Pactum schema, chapter 1: who the application is, how tenants are kept apart, and who may sign in.
--
-- The story in one paragraph: the application runs as the role pactum_app, which owns nothing and cannot
-- bypass row-level security. Every tenant table carries tenant_id, defaults it from the transaction's
-- pactum.tenant_id setting, and gets the same restrictive policy from pactum_isolate_tenant_table(), so
-- a query without a tenant setting sees nothing and a forgotten WHERE cannot leak. The few things that
-- must cross tenants (finding an account by e-mail, a session by its token, a challenge by its id, global
-- rate limits) are narrow SECURITY DEFINER functions at the end of this file.

-- The application role. NOLOGIN here; an operator who wants the app to connect as it directly runs
-- ALTER ROLE pactum_app LOGIN PASSWORD '…' (see docs/operations.md). Roles are cluster-wide, so this
-- tolerates a concurrent creation by another database's migration.
DO $$
BEGIN
  CREATE ROLE pactum_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- The migrating role owns the tables and the SECURITY DEFINER functions below, which cross tenants as
-- that role; FORCE ROW LEVEL SECURITY would blind them unless it bypasses RLS. It also switches into
-- pactum_app for every request transaction, so it must be a member.
DO $$
BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'Pactum migrations must run as a superuser or a role with BYPASSRLS (current role: %)', current_user;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'pactum_app', 'MEMBER') THEN
    EXECUTE format('GRANT pactum_app TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO pactum_app;
-- The migration runner creates pactum_migrations before this file runs; a node that connects as
-- pactum_app must be able to tell whether its schema is current.
GRANT SELECT ON pactum_migrations TO pactum_app;

-- The tenant and user of the current transaction, set with set_config(…, true) by the app.
-- Unset or empty means NULL, and NULL matches no row.
CREATE FUNCTION pactum_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('pactum.tenant_id', true), '')::uuid $$;

CREATE FUNCTION pactum_current_user() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('pactum.user_id', true), '')::uuid $$;

-- The one template every tenant table gets (after Logto): RLS enabled and forced, a RESTRICTIVE tenant
-- policy that no later permissive policy can widen, and a permissive grant for the app role only.
CREATE FUNCTION pactum_isolate_tenant_table(target regclass, tenant_column name DEFAULT 'tenant_id') RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL TO PUBLIC '
    'USING (%I = pactum_current_tenant()) WITH CHECK (%I = pactum_current_tenant())',
    target, tenant_column, tenant_column);
  EXECUTE format('CREATE POLICY app_access ON %s AS PERMISSIVE FOR ALL TO pactum_app USING (true) WITH CHECK (true)', target);
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_isolate_tenant_table(regclass, name) FROM PUBLIC;

-- Tables reached only through SECURITY DEFINER functions: RLS on with no policy means deny-all to
-- anyone but their owner, in case a grant is ever added by mistake.
CREATE FUNCTION pactum_seal_global_table(target regclass) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', target);
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_seal_global_table(regclass) FROM PUBLIC;

-- Tenants: a customer company. Pending until the registrant has verified their phone.
CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT pactum_isolate_tenant_table('tenants', 'id');
GRANT SELECT, INSERT, UPDATE ON tenants TO pactum_app;

-- Users: the master (registrant) and the members they invite. E-mail is stored lower-cased.
CREATE TABLE users (
  tenant_id      uuid NOT NULL DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  phone_e164     text CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  phone_country  text CHECK (phone_country ~ '^[A-Z]{2}$'),
  password_hash  text,
  role           text NOT NULL CHECK (role IN ('master', 'member')),
  status         text NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  activated_at   timestamptz,
  revoked_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);
SELECT pactum_isolate_tenant_table('users');
GRANT SELECT, INSERT, UPDATE ON users TO pactum_app;

-- Sessions: only the SHA-256 of the 256-bit token is kept, so a database leak yields no usable cookie.
CREATE TABLE sessions (
  tenant_id         uuid NOT NULL DEFAULT pactum_current_tenant(),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL,
  token_hash        bytea NOT NULL CHECK (length(token_hash) = 32),
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_seen_at      timestamptz NOT NULL DEFAULT now(),
  authenticated_at  timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  ended_at          timestamptz,
  ended_reason      text CHECK (ended_reason IN ('logout', 'logout_all', 'password_changed', 'revoked', 'ended_by_user', 'ended_by_master')),
  client_ip         text,
  user_agent        text CHECK (length(user_agent) <= 512),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
-- Token hashes are random, so this global index confirms nothing about other tenants; it serves the
-- lookup of a cookie before its tenant is known.
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id) WHERE ended_at IS NULL;
SELECT pactum_isolate_tenant_table('sessions');
GRANT SELECT, INSERT, UPDATE ON sessions TO pactum_app;

-- One-time-code challenges: the code itself is never stored, only its keyed hash.
CREATE TABLE otp_challenges (
  tenant_id        uuid NOT NULL DEFAULT pactum_current_tenant(),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL,
  purpose          text NOT NULL CHECK (purpose IN ('signup', 'login', 'step_up', 'password_reset', 'invitation', 'phone_change')),
  session_id       uuid,
  phone_e164       text NOT NULL,
  -- phone_change: the number the user wants next, verified by a second challenge sent to it.
  new_phone_e164   text CHECK (new_phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  -- password_reset: the new password's hash, applied only once the phone code proves the reset.
  new_password_hash text CHECK (length(new_password_hash) <= 200),
  channel          text NOT NULL CHECK (channel IN ('sms', 'voice')),
  language         text NOT NULL CHECK (language IN ('en', 'de', 'fr', 'it')),
  code_hash        bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  last_sent_at     timestamptz NOT NULL DEFAULT now(),
  send_count       integer NOT NULL DEFAULT 1 CHECK (send_count >= 1),
  failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  consumed_at      timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
SELECT pactum_isolate_tenant_table('otp_challenges');
GRANT SELECT, INSERT, UPDATE ON otp_challenges TO pactum_app;

-- Global registry of sign-in e-mails: login knows an e-mail before it knows a tenant.
CREATE TABLE account_emails (
  email      text PRIMARY KEY CHECK (email = lower(email)),
  tenant_id  uuid NOT NULL,
  user_id    uuid NOT NULL,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT pactum_seal_global_table('account_emails');

-- Every code sent, across tenants: the per-number, per-tenant and global caps against SMS pumping.
CREATE TABLE otp_deliveries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  phone_e164  text NOT NULL,
  is_resend   boolean NOT NULL,
  sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_deliveries_phone ON otp_deliveries (phone_e164, sent_at);
CREATE INDEX otp_deliveries_tenant ON otp_deliveries (tenant_id, sent_at);
CREATE INDEX otp_deliveries_time ON otp_deliveries (sent_at);
SELECT pactum_seal_global_table('otp_deliveries');

-- Sliding-window hit log for rate limits shared by every app node (login attempts per client IP …).
CREATE TABLE rate_limit_hits (
  bucket  text NOT NULL CHECK (length(bucket) <= 200),
  hit_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rate_limit_hits_bucket ON rate_limit_hits (bucket, hit_at);
SELECT pactum_seal_global_table('rate_limit_hits');

-- Consecutive failed logins per e-mail key (SHA-256 of the e-mail), kept whether or not the account
-- exists, so throttling itself cannot tell which e-mails are registered.
CREATE TABLE login_failures (
  email_key       bytea PRIMARY KEY CHECK (length(email_key) = 32),
  consecutive     integer NOT NULL CHECK (consecutive >= 0),
  last_failed_at  timestamptz NOT NULL
);
SELECT pactum_seal_global_table('login_failures');

------------------------------------------------------------------------------------------------------
-- The narrow doors across tenants. Each is SECURITY DEFINER with a fixed search_path, executable by
-- pactum_app only, and returns no more than its caller needs.
------------------------------------------------------------------------------------------------------

-- Claims an e-mail for a user of the current tenant. A signup that was never verified (its tenant is
-- still pending) releases its claim after 30 minutes, so nobody can squat an address by starting a
-- signup they cannot finish. Invited users of active tenants keep theirs until the invitation ends.
CREATE FUNCTION pactum_claim_email(p_email text, p_user_id uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  claimed boolean;
BEGIN
  IF pactum_current_tenant() IS NULL THEN
    RAISE EXCEPTION 'pactum_claim_email needs a tenant context';
  END IF;
  DELETE FROM account_emails a
   USING users u, tenants t
   WHERE a.email = lower(p_email)
     AND u.tenant_id = a.tenant_id AND u.id = a.user_id AND t.id = u.tenant_id
     AND t.status = 'pending' AND u.status = 'pending' AND u.created_at < now() - interval '30 minutes';
  INSERT INTO account_emails (email, tenant_id, user_id)
  VALUES (lower(p_email), pactum_current_tenant(), p_user_id)
  ON CONFLICT (email) DO NOTHING
  RETURNING true INTO claimed;
  RETURN coalesce(claimed, false);
END
$$;

-- Finds the account behind an e-mail for login. Returns nothing for unknown e-mails.
CREATE FUNCTION pactum_find_login(p_email text)
  RETURNS TABLE (tenant_id uuid, user_id uuid, password_hash text, user_status text, tenant_status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT u.tenant_id, u.id, u.password_hash, u.status, t.status
    FROM account_emails a
    JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
    JOIN tenants t ON t.id = u.tenant_id
   WHERE a.email = lower(p_email)
$$;

-- The tenant a challenge belongs to: challenge ids are random, and verifying one happens before login.
CREATE FUNCTION pactum_challenge_tenant(p_challenge_id uuid) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT tenant_id FROM otp_challenges WHERE id = p_challenge_id $$;

-- Resolves a session cookie and, if the session is live, makes its tenant and user the context of the
-- current transaction (set_config(…, true) ends with the transaction). Touches last_seen_at at most
-- every 30 seconds to spare writes.
CREATE FUNCTION pactum_enter_session(p_token_hash bytea, p_idle_seconds integer)
  RETURNS TABLE (session_id uuid, tenant_id uuid, user_id uuid, authenticated_at timestamptz, role text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  live record;
BEGIN
  SELECT s.id, s.tenant_id, s.user_id, s.authenticated_at, s.last_seen_at, u.role
    INTO live
    FROM sessions s
    JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
    JOIN tenants t ON t.id = s.tenant_id
   WHERE s.token_hash = p_token_hash
     AND s.ended_at IS NULL
     AND s.expires_at > now()
     AND s.last_seen_at > now() - make_interval(secs => p_idle_seconds)
     AND u.status = 'active'
     AND t.status = 'active';
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF live.last_seen_at < now() - interval '30 seconds' THEN
    UPDATE sessions SET last_seen_at = now() WHERE sessions.tenant_id = live.tenant_id AND sessions.id = live.id;
  END IF;
  PERFORM set_config('pactum.tenant_id', live.tenant_id::text, true),
          set_config('pactum.user_id', live.user_id::text, true);
  session_id := live.id;
  tenant_id := live.tenant_id;
  user_id := live.user_id;
  authenticated_at := live.authenticated_at;
  role := live.role;
  RETURN NEXT;
END
$$;

-- Records a code about to be sent for the current tenant if the caps allow it; otherwise returns how
-- many seconds to wait. Serialised by an advisory lock so concurrent nodes cannot overshoot a cap.
CREATE FUNCTION pactum_claim_otp_delivery(
  p_phone text, p_is_resend boolean,
  p_number_hourly integer, p_resends_hourly integer, p_tenant_hourly integer, p_global_hourly integer)
  RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  window_start timestamptz := now() - interval '1 hour';
  oldest timestamptz;
BEGIN
  IF pactum_current_tenant() IS NULL THEN
    RAISE EXCEPTION 'pactum_claim_otp_delivery needs a tenant context';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('pactum_claim_otp_delivery'));

  SELECT min(sent_at) INTO oldest FROM (
    SELECT sent_at FROM otp_deliveries WHERE phone_e164 = p_phone AND sent_at > window_start
     ORDER BY sent_at DESC LIMIT p_number_hourly) recent
   HAVING count(*) >= p_number_hourly;
  IF oldest IS NULL AND p_is_resend THEN
    SELECT min(sent_at) INTO oldest FROM (
      SELECT sent_at FROM otp_deliveries WHERE phone_e164 = p_phone AND is_resend AND sent_at > window_start
       ORDER BY sent_at DESC LIMIT p_resends_hourly) recent
     HAVING count(*) >= p_resends_hourly;
  END IF;
  IF oldest IS NULL THEN
    SELECT min(sent_at) INTO oldest FROM (
      SELECT sent_at FROM otp_deliveries WHERE tenant_id = pactum_current_tenant() AND sent_at > window_start
       ORDER BY sent_at DESC LIMIT p_tenant_hourly) recent
     HAVING count(*) >= p_tenant_hourly;
  END IF;
  IF oldest IS NULL THEN
    SELECT min(sent_at) INTO oldest FROM (
      SELECT sent_at FROM otp_deliveries WHERE sent_at > window_start
       ORDER BY sent_at DESC LIMIT p_global_hourly) recent
     HAVING count(*) >= p_global_hourly;
  END IF;
  IF oldest IS NOT NULL THEN
    RETURN greatest(1, ceil(extract(epoch FROM oldest + interval '1 hour' - now())))::integer;
  END IF;

  INSERT INTO otp_deliveries (tenant_id, phone_e164, is_resend) VALUES (pactum_current_tenant(), p_phone, p_is_resend);
  DELETE FROM otp_deliveries WHERE sent_at < now() - interval '2 days';
  RETURN 0;
END
$$;

-- Sliding-window rate limit: records a hit and returns 0, or returns the seconds until a hit is allowed.
CREATE FUNCTION pactum_rate_limit_hit(p_bucket text, p_window_seconds integer, p_max_hits integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  window_start timestamptz := clock_timestamp() - make_interval(secs => p_window_seconds);
  oldest timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(p_bucket));
  DELETE FROM rate_limit_hits WHERE bucket = p_bucket AND hit_at <= window_start;
  SELECT min(hit_at) INTO oldest FROM (
    SELECT hit_at FROM rate_limit_hits WHERE bucket = p_bucket ORDER BY hit_at DESC LIMIT p_max_hits) recent
   HAVING count(*) >= p_max_hits;
  IF oldest IS NOT NULL THEN
    RETURN greatest(1, ceil(extract(epoch FROM oldest + make_interval(secs => p_window_seconds) - clock_timestamp())))::integer;
  END IF;
  INSERT INTO rate_limit_hits (bucket) VALUES (p_bucket);
  RETURN 0;
END
$$;

-- Login failure bookkeeping per e-mail key (see login_failures).
CREATE FUNCTION pactum_login_failures(p_email_key bytea)
  RETURNS TABLE (consecutive integer, last_failed_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT consecutive, last_failed_at FROM login_failures WHERE email_key = p_email_key $$;

CREATE FUNCTION pactum_record_login_failure(p_email_key bytea) RETURNS integer
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  INSERT INTO login_failures AS f (email_key, consecutive, last_failed_at) VALUES (p_email_key, 1, now())
  ON CONFLICT (email_key) DO UPDATE SET consecutive = f.consecutive + 1, last_failed_at = now()
  RETURNING consecutive
$$;

CREATE FUNCTION pactum_clear_login_failures(p_email_key bytea) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ DELETE FROM login_failures WHERE email_key = p_email_key $$;

-- Replication state for /readyz. pg_stat_replication hides lag from roles without monitoring rights;
-- this door shows the count and the worst replay lag, nothing else.
CREATE FUNCTION pactum_replication_status() RETURNS TABLE (standbys integer, max_lag_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp
  AS $$
  -- A caught-up, idle standby reports NULL lag: that is no lag.
  SELECT count(*)::integer, max(extract(epoch FROM coalesce(replay_lag, interval '0')))::double precision
    FROM pg_stat_replication
$$;

-- Functions are executable by PUBLIC by default; these doors open for the app role only.
REVOKE EXECUTE ON FUNCTION
  pactum_claim_email(text, uuid),
  pactum_find_login(text),
  pactum_challenge_tenant(uuid),
  pactum_enter_session(bytea, integer),
  pactum_claim_otp_delivery(text, boolean, integer, integer, integer, integer),
  pactum_rate_limit_hit(text, integer, integer),
  pactum_login_failures(bytea),
  pactum_record_login_failure(bytea),
  pactum_clear_login_failures(bytea),
  pactum_replication_status()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  pactum_claim_email(text, uuid),
  pactum_find_login(text),
  pactum_challenge_tenant(uuid),
  pactum_enter_session(bytea, integer),
  pactum_claim_otp_delivery(text, boolean, integer, integer, integer, integer),
  pactum_rate_limit_hit(text, integer, integer),
  pactum_login_failures(bytea),
  pactum_record_login_failure(bytea),
  pactum_clear_login_failures(bytea),
  pactum_replication_status()
  TO pactum_app;
