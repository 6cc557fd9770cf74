-- Pactum schema, chapter 11: login attempts reserved before the password is checked, and e-mail claims
-- that an activation holds on to (issue 9, findings 3 and 4).

-- Login throttling read the failure count, checked the password (slow on purpose), and only then counted
-- the failure: 130 concurrent attempts on a fresh account got 24 password checks instead of 5. A login now
-- takes this lock on its e-mail key, reads the count, and (if allowed) counts its own attempt as a failure
-- before the password is checked; a success clears the count. Attempts on one key thus queue for a few
-- milliseconds and each sees every attempt before it. The lock ends with the caller's transaction.
-- checked_at is the server's clock after the wait, so every node measures delays on one clock.
CREATE FUNCTION pactum_lock_login_failures(p_email_key bytea)
  RETURNS TABLE (consecutive integer, last_failed_at timestamptz, checked_at timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pactum_login_failures'), hashtext(encode(p_email_key, 'hex')));
  checked_at := clock_timestamp();
  SELECT f.consecutive, f.last_failed_at INTO consecutive, last_failed_at FROM login_failures f WHERE f.email_key = p_email_key;
  RETURN NEXT;
END
$$;

-- A signup's claim on its e-mail lapses after 30 minutes unverified, while its challenge can live on
-- through resends; a later signup may then claim the address. Activating the first account anyway left
-- two active users behind one e-mail, and login (which follows the claim) locked the first out for good.
-- Verification and invitation acceptance therefore activate only while this lock finds the claim still
-- theirs, and hold it (FOR SHARE) until they commit.
CREATE FUNCTION pactum_hold_email_claim(p_user_id uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  IF pactum_current_tenant() IS NULL THEN
    RAISE EXCEPTION 'pactum_hold_email_claim needs a tenant context';
  END IF;
  PERFORM 1
     FROM account_emails a
     JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
    WHERE a.tenant_id = pactum_current_tenant() AND a.user_id = p_user_id AND a.email = lower(u.email)
      FOR SHARE OF a;
  RETURN FOUND;
END
$$;

-- As in chapter 5, and first locks the address's claim. A claimer then waits for an activation that holds
-- the claim, and judges the claim lapsed or not by what that activation committed (each statement of a
-- PL/pgSQL function reads committed rows anew); without the lock it could delete the claim of a user who
-- had just become active.
CREATE OR REPLACE FUNCTION pactum_claim_email(p_email text, p_user_id uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  claimed boolean;
BEGIN
  IF pactum_current_tenant() IS NULL THEN
    RAISE EXCEPTION 'pactum_claim_email needs a tenant context';
  END IF;
  PERFORM 1 FROM account_emails WHERE email = lower(p_email) FOR UPDATE;
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

REVOKE EXECUTE ON FUNCTION pactum_lock_login_failures(bytea), pactum_hold_email_claim(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_lock_login_failures(bytea), pactum_hold_email_claim(uuid) TO pactum_app;
