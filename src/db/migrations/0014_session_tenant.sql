-- Pactum schema, chapter 14: whose request is this, before it takes a connection.
--
-- Requests are shared fairly between tenants (src/http/tenant-gate.ts): each company gets a bounded
-- number of concurrent transactions per node, and its further requests queue behind its own. The gate
-- must know the tenant before the request's transaction takes a pooled connection, but the session
-- lookup that names the tenant runs inside that transaction. This door answers only that question, once
-- per session and node (the answer is cached: a session never changes tenant). It records no activity
-- and sets nothing; the request's own transaction still checks the session in full (pactum_enter_session
-- or pactum_require_session), so a stale or wrong answer here can only misplace a request in a queue,
-- never let it read anything.

CREATE FUNCTION pactum_session_tenant(p_token_hash bytea)
  RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT s.tenant_id FROM sessions s
     WHERE s.token_hash = p_token_hash AND s.ended_at IS NULL AND s.expires_at > now()
$$;

REVOKE EXECUTE ON FUNCTION pactum_session_tenant(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_session_tenant(bytea) TO pactum_app;
