-- Pactum schema, chapter 5: inviting a team, resetting passwords, handing over a departing user's
-- contracts, and the tamper-evident audit trail.

-- Invitations: the invitee is a pending user; only the SHA-256 of the token in the link is kept.
CREATE TABLE invitations (
  tenant_id    uuid NOT NULL DEFAULT pactum_current_tenant(),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL,
  invited_by   uuid NOT NULL,
  token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  accepted_at  timestamptz,
  ended_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, invited_by) REFERENCES users (tenant_id, id)
);
-- Random tokens: a global index confirms nothing about other tenants (as for sessions).
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
SELECT pactum_isolate_tenant_table('invitations');
GRANT SELECT, INSERT, UPDATE ON invitations TO pactum_app;

-- Password resets: single-use token by e-mail; the phone code is still required afterwards.
CREATE TABLE password_resets (
  tenant_id   uuid NOT NULL DEFAULT pactum_current_tenant(),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL,
  token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX password_resets_token_hash ON password_resets (token_hash);
SELECT pactum_isolate_tenant_table('password_resets');
GRANT SELECT, INSERT, UPDATE ON password_resets TO pactum_app;

-- Invitations extend the e-mail claim rule of chapter 1: an invitee whose invitation has ended (expired,
-- withdrawn) without being accepted no longer holds the address, and claiming an address again for the
-- same user (a renewed invitation) is not a conflict.
CREATE OR REPLACE FUNCTION pactum_claim_email(p_email text, p_user_id uuid) RETURNS boolean
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
     AND u.status = 'pending'
     AND NOT (u.tenant_id = pactum_current_tenant() AND u.id = p_user_id)
     AND ((t.status = 'pending' AND u.created_at < now() - interval '30 minutes')
          OR (t.status = 'active' AND NOT EXISTS (
                SELECT 1 FROM invitations i
                 WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id
                   AND i.accepted_at IS NULL AND i.ended_at IS NULL AND i.expires_at > now())));
  INSERT INTO account_emails (email, tenant_id, user_id)
  VALUES (lower(p_email), pactum_current_tenant(), p_user_id)
  ON CONFLICT (email) DO NOTHING
  RETURNING true INTO claimed;
  RETURN coalesce(claimed, false) OR EXISTS (
    SELECT 1 FROM account_emails
     WHERE email = lower(p_email) AND tenant_id = pactum_current_tenant() AND user_id = p_user_id);
END
$$;

-- The tenant behind an invitation or reset link, which arrives before anyone is signed in.
CREATE FUNCTION pactum_invitation_tenant(p_token_hash bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT tenant_id FROM invitations WHERE token_hash = p_token_hash $$;

CREATE FUNCTION pactum_password_reset_tenant(p_token_hash bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT tenant_id FROM password_resets WHERE token_hash = p_token_hash $$;

-- Contracts that revoking p_user_id would orphan, seen whole (also those the master revoking cannot
-- see): the ones the user manages, and restricted ones the user can see and no other active user can.
CREATE FUNCTION pactum_contracts_needing_handover(p_user_id uuid)
  RETURNS TABLE (contract_id uuid, title text, managed boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT c.id, c.title, c.manager_id = p_user_id
    FROM contracts c
   WHERE c.tenant_id = pactum_current_tenant()
     AND c.archived_at IS NULL
     AND (c.manager_id = p_user_id
          OR (c.restricted
              AND EXISTS (
                SELECT 1
                  FROM contract_groups g
                  JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id
                 WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id AND m.user_id = p_user_id)
              AND NOT EXISTS (
                SELECT 1
                  FROM contract_groups g
                  JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id
                  JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
                 WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id
                   AND u.status = 'active' AND u.id <> p_user_id)))
   ORDER BY c.title, c.id
$$;

-- Hands those contracts to p_successor_id in the caller's transaction: manager of the managed ones, and
-- member of one group (the revoked user's, lowest id) of each restricted one the successor cannot see
-- yet — no more groups than needed, so the successor gains no other contracts by accident.
CREATE FUNCTION pactum_hand_over_contracts(p_user_id uuid, p_successor_id uuid) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  handed integer;
BEGIN
  IF p_successor_id = p_user_id
     OR NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = pactum_current_tenant() AND id = p_successor_id AND status = 'active') THEN
    RAISE EXCEPTION 'successor is not an active user of this tenant' USING ERRCODE = 'P0002';
  END IF;
  CREATE TEMP TABLE IF NOT EXISTS pactum_handover (contract_id uuid, managed boolean) ON COMMIT DROP;
  DELETE FROM pactum_handover;
  INSERT INTO pactum_handover SELECT h.contract_id, h.managed FROM pactum_contracts_needing_handover(p_user_id) h;
  -- Restricted contracts: the successor joins each group of the contract, so they see it from now on.
  INSERT INTO access_group_members (tenant_id, group_id, user_id)
  SELECT DISTINCT c.tenant_id,
         (SELECT min(g.group_id::text)::uuid
            FROM contract_groups g
            JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id AND m.user_id = p_user_id
           WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id),
         p_successor_id
    FROM pactum_handover h
    JOIN contracts c ON c.tenant_id = pactum_current_tenant() AND c.id = h.contract_id AND c.restricted
   WHERE NOT EXISTS (
           SELECT 1
             FROM contract_groups g
             JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id AND m.user_id = p_successor_id
            WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id)
     AND EXISTS (
           SELECT 1
             FROM contract_groups g
             JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id AND m.user_id = p_user_id
            WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id)
  ON CONFLICT DO NOTHING;
  UPDATE contracts c SET manager_id = p_successor_id, updated_at = now()
    FROM pactum_handover h
   WHERE c.tenant_id = pactum_current_tenant() AND c.id = h.contract_id AND h.managed;
  SELECT count(*) INTO handed FROM pactum_handover;
  RETURN handed;
END
$$;

-- Live restricted contracts of the current tenant that no active user can see, seen whole. A change of
-- group membership compares this before and after, and is refused if it orphaned a contract.
CREATE FUNCTION pactum_orphaned_contracts() RETURNS TABLE (contract_id uuid, title text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT c.id, c.title
    FROM contracts c
   WHERE c.tenant_id = pactum_current_tenant() AND c.archived_at IS NULL AND c.restricted
     AND NOT EXISTS (
           SELECT 1
             FROM contract_groups g
             JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id
             JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id AND u.status = 'active'
            WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id)
   ORDER BY c.title, c.id
$$;

REVOKE EXECUTE ON FUNCTION pactum_invitation_tenant(bytea), pactum_password_reset_tenant(bytea),
  pactum_contracts_needing_handover(uuid), pactum_hand_over_contracts(uuid, uuid), pactum_orphaned_contracts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_invitation_tenant(bytea), pactum_password_reset_tenant(bytea),
  pactum_contracts_needing_handover(uuid), pactum_hand_over_contracts(uuid, uuid), pactum_orphaned_contracts() TO pactum_app;

-- The audit trail: append-only for the app (INSERT and SELECT only), hash-chained per tenant. Each row's
-- hash covers its canonical content and the previous row's hash, so an edited, removed or reordered
-- row breaks the chain from there on; `pactum audit verify` names the first broken row.
CREATE TABLE audit_events (
  tenant_id    uuid NOT NULL DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  seq          bigint NOT NULL DEFAULT 0,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id     uuid,
  action       text NOT NULL CHECK (action ~ '^[a-z][a-z_.]{0,99}$'),
  target_type  text CHECK (length(target_type) <= 50),
  target_id    text CHECK (length(target_id) <= 100),
  client_ip    text CHECK (length(client_ip) <= 100),
  user_agent   text CHECK (length(user_agent) <= 512),
  outcome      text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  details      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
  prev_hash    bytea,
  hash         bytea NOT NULL DEFAULT '\x'::bytea,
  PRIMARY KEY (tenant_id, seq),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at DESC, seq DESC);
SELECT pactum_isolate_tenant_table('audit_events');
GRANT SELECT, INSERT ON audit_events TO pactum_app;

-- Canonical content: a JSON array in fixed order (jsonb's text form is normalised), UTC microseconds.
CREATE FUNCTION pactum_audit_hash(e audit_events) RETURNS bytea
  LANGUAGE sql STABLE SET search_path = public, pg_catalog, pg_temp
  AS $$
  SELECT sha256(
    convert_to(jsonb_build_array(
      e.tenant_id, e.seq, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      e.actor_id, e.action, e.target_type, e.target_id, e.client_ip, e.user_agent, e.outcome, e.details)::text, 'UTF8')
    || coalesce(e.prev_hash, '\x'::bytea))
$$;

-- Numbers and chains each new row. The per-tenant advisory lock orders concurrent writers of one tenant.
CREATE FUNCTION pactum_chain_audit_event() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp
  AS $$
DECLARE
  last record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pactum_audit'), hashtext(NEW.tenant_id::text));
  SELECT seq, hash INTO last FROM audit_events WHERE tenant_id = NEW.tenant_id ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := last.hash;
  NEW.occurred_at := clock_timestamp();
  NEW.hash := pactum_audit_hash(NEW);
  RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_chain_audit_event() FROM PUBLIC;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION pactum_chain_audit_event();
