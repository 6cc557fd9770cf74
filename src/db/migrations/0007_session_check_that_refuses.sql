-- Pactum schema, chapter 7: a session check that refuses.
--
-- A read whose reach row-level security alone decides does not wait for its session check: the check and
-- the read's first statement travel to the server together, in one round trip (src/db/postgres-dialect.ts).
-- pactum_enter_session answers "no session" with no row, which is right when the caller looks before it
-- acts; here nobody looks in between, so this door raises instead. PostgreSQL then skips every statement
-- behind it in the transaction: for a dead session nothing runs, not even a read that would find nothing.

CREATE FUNCTION pactum_require_session(p_token_hash bytea, p_idle_seconds integer)
  RETURNS TABLE (session_id uuid, tenant_id uuid, user_id uuid, authenticated_at timestamptz, role text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  RETURN QUERY SELECT * FROM pactum_enter_session(p_token_hash, p_idle_seconds);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no live session' USING ERRCODE = 'invalid_authorization_specification';
  END IF;
END
$$;

REVOKE EXECUTE ON FUNCTION pactum_require_session(bytea, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_require_session(bytea, integer) TO pactum_app;
