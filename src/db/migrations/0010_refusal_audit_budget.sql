-- Pactum schema, chapter 10: refused attempts leave a trace, but a bounded one.
--
-- A refused role change, revocation, group membership change, visibility change, step-up or invitation
-- rolls back with everything it tried, its own audit row included. The service then records the refusal
-- in a transaction of its own. So that a flood of refusals cannot fill the trail, each actor has a
-- budget per minute: the first p_limit refusals of a window are recorded one by one, the rest are only
-- counted here, and the count goes into the trail as one summary row.
CREATE TABLE audit_refusal_budgets (
  tenant_id     uuid NOT NULL DEFAULT pactum_current_tenant(),
  actor_id      uuid NOT NULL,
  window_start  timestamptz NOT NULL,
  recorded      integer NOT NULL CHECK (recorded >= 0),
  suppressed    integer NOT NULL CHECK (suppressed >= 0),
  PRIMARY KEY (tenant_id, actor_id),
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
SELECT pactum_isolate_tenant_table('audit_refusal_budgets');
GRANT SELECT, INSERT, UPDATE ON audit_refusal_budgets TO pactum_app;

-- Spends one refusal of p_actor_id's budget, under a row lock so concurrent refusals of one actor count
-- exactly. `write_row`: write this refusal's row. `suppressed_before`: refusals of the actor's previous
-- window that were only counted (their summary is written now, as the window has closed).
-- `first_suppressed`: this is the first refusal of the window over the budget (a marker row is written).
-- Runs as the caller (row-level security applies): it sees only the current tenant's budgets.
CREATE FUNCTION pactum_spend_refusal_budget(p_actor_id uuid, p_limit integer, p_window_seconds integer)
  RETURNS TABLE (write_row boolean, first_suppressed boolean, suppressed_before integer, previous_window_start timestamptz)
  LANGUAGE plpgsql SET search_path = public, pg_temp
  AS $$
DECLARE
  budget audit_refusal_budgets%ROWTYPE;
BEGIN
  INSERT INTO audit_refusal_budgets (actor_id, window_start, recorded, suppressed)
  VALUES (p_actor_id, clock_timestamp(), 0, 0)
  ON CONFLICT (tenant_id, actor_id) DO NOTHING;
  SELECT * INTO STRICT budget FROM audit_refusal_budgets WHERE actor_id = p_actor_id FOR UPDATE;
  IF budget.window_start <= clock_timestamp() - make_interval(secs => p_window_seconds) THEN
    UPDATE audit_refusal_budgets SET window_start = clock_timestamp(), recorded = 1, suppressed = 0 WHERE actor_id = p_actor_id;
    RETURN QUERY SELECT true, false, budget.suppressed, budget.window_start;
  ELSIF budget.recorded < p_limit THEN
    UPDATE audit_refusal_budgets SET recorded = recorded + 1 WHERE actor_id = p_actor_id;
    RETURN QUERY SELECT true, false, 0, budget.window_start;
  ELSE
    UPDATE audit_refusal_budgets SET suppressed = suppressed + 1 WHERE actor_id = p_actor_id;
    RETURN QUERY SELECT false, budget.suppressed = 0, 0, budget.window_start;
  END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_spend_refusal_budget(uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_spend_refusal_budget(uuid, integer, integer) TO pactum_app;
