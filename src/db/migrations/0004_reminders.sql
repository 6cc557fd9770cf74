-- Pactum schema, chapter 4: scheduled jobs and deadline reminders.
--
-- Any number of app nodes run the same scheduler; a job runs only on the node holding its lease, a row
-- in job_leases taken atomically through pactum_take_lease(). Reminders are recorded per contract,
-- deadline and lead time, so each is sent once even if a run is retried.

CREATE TABLE job_leases (
  name        text PRIMARY KEY CHECK (length(name) <= 100),
  holder      text NOT NULL CHECK (length(holder) <= 200),
  expires_at  timestamptz NOT NULL
);
SELECT pactum_seal_global_table('job_leases');

-- Takes or renews the lease if it is free, expired, or already ours. True when we hold it.
CREATE FUNCTION pactum_take_lease(p_name text, p_holder text, p_seconds integer) RETURNS boolean
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  INSERT INTO job_leases AS l (name, holder, expires_at)
  VALUES (p_name, p_holder, clock_timestamp() + make_interval(secs => p_seconds))
  ON CONFLICT (name) DO UPDATE
     SET holder = excluded.holder, expires_at = excluded.expires_at
   WHERE l.expires_at < clock_timestamp() OR l.holder = excluded.holder
  RETURNING true
$$;

CREATE FUNCTION pactum_release_lease(p_name text, p_holder text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ DELETE FROM job_leases WHERE name = p_name AND holder = p_holder $$;

-- The tenants a scheduled job visits; it then works inside each tenant under RLS like a request.
CREATE FUNCTION pactum_active_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT id FROM tenants WHERE status = 'active' ORDER BY id $$;

REVOKE EXECUTE ON FUNCTION pactum_take_lease(text, text, integer), pactum_release_lease(text, text), pactum_active_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_take_lease(text, text, integer), pactum_release_lease(text, text), pactum_active_tenants() TO pactum_app;

CREATE TABLE reminder_deliveries (
  tenant_id      uuid NOT NULL DEFAULT pactum_current_tenant(),
  contract_id    uuid NOT NULL,
  deadline_type  text NOT NULL CHECK (deadline_type IN ('notice', 'end')),
  deadline       date NOT NULL,
  lead_days      integer NOT NULL CHECK (lead_days BETWEEN 0 AND 3650),
  recipient_id   uuid NOT NULL,
  sent_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, contract_id, deadline_type, deadline, lead_days, recipient_id),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
  FOREIGN KEY (tenant_id, recipient_id) REFERENCES users (tenant_id, id)
);
SELECT pactum_isolate_tenant_table('reminder_deliveries');
GRANT SELECT, INSERT ON reminder_deliveries TO pactum_app;

CREATE POLICY through_visible_contract ON reminder_deliveries AS RESTRICTIVE FOR ALL TO PUBLIC
  USING (EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = reminder_deliveries.tenant_id AND c.id = reminder_deliveries.contract_id));
