-- Pactum schema, chapter 6: visibility that costs the contract list less.
--
-- A line item is visible exactly when its contract is. The policy of 0002 asked the contracts table for
-- every line item read — an index probe per row, five per contract on the contract list, which made the
-- list as pactum_app several times dearer than the same query without row-level security. Line items now
-- carry their contract's `restricted` flag, kept equal to it by triggers as contracts.restricted is kept
-- equal to "has groups", so an unrestricted line item costs a column check; a restricted one still asks
-- pactum_in_contract_group(). Writes keep the 0002 check: a line item can only be written for a contract
-- the writer can see.

ALTER TABLE line_items ADD COLUMN contract_restricted boolean NOT NULL DEFAULT false;

UPDATE line_items li
   SET contract_restricted = true
  FROM contracts c
 WHERE c.tenant_id = li.tenant_id AND c.id = li.contract_id AND c.restricted;

-- The flag is the contract's, whatever a writer puts there. SECURITY DEFINER: the writer may not be able
-- to see the contract, and the policy's WITH CHECK must then refuse the row, not a missing lookup.
CREATE FUNCTION pactum_line_item_restricted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  NEW.contract_restricted := coalesce(
    (SELECT c.restricted FROM contracts c WHERE c.tenant_id = NEW.tenant_id AND c.id = NEW.contract_id), false);
  RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_line_item_restricted() FROM PUBLIC;
CREATE TRIGGER line_items_restricted BEFORE INSERT OR UPDATE ON line_items
  FOR EACH ROW EXECUTE FUNCTION pactum_line_item_restricted();

-- Restricting or releasing a contract (its first group added, its last removed) now moves its line items
-- with it, in the same statement.
CREATE OR REPLACE FUNCTION pactum_sync_contract_restricted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  changed record;
  now_restricted boolean;
BEGIN
  changed := coalesce(NEW, OLD);
  now_restricted := EXISTS (SELECT 1 FROM contract_groups g WHERE g.tenant_id = changed.tenant_id AND g.contract_id = changed.contract_id);
  UPDATE contracts c
     SET restricted = now_restricted
   WHERE c.tenant_id = changed.tenant_id AND c.id = changed.contract_id;
  UPDATE line_items li
     SET contract_restricted = now_restricted
   WHERE li.tenant_id = changed.tenant_id AND li.contract_id = changed.contract_id
     AND li.contract_restricted IS DISTINCT FROM now_restricted;
  RETURN NULL;
END
$$;

ALTER POLICY through_visible_contract ON line_items
  USING (NOT contract_restricted OR pactum_in_contract_group(tenant_id, contract_id))
  WITH CHECK (EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = line_items.tenant_id AND c.id = line_items.contract_id));

-- The groups of a contract, for the contract views: one call for the rare restricted contract instead of a
-- subquery on contract_groups, whose visibility policy (through contracts, and their policy) PostgreSQL
-- otherwise plans into every contract list — a third of the list's planning time as pactum_app. Like that
-- policy, it answers only for a contract the caller can see: the groups of a restricted contract are
-- returned to a member of one of them, and an empty list to anybody else.
CREATE FUNCTION pactum_contract_group_ids(p_tenant_id uuid, p_contract_id uuid) RETURNS text[]
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT coalesce(array_agg(g.group_id::text ORDER BY g.group_id), '{}')
    FROM contract_groups g
   WHERE g.tenant_id = p_tenant_id AND g.contract_id = p_contract_id
     AND pactum_in_contract_group(p_tenant_id, p_contract_id)
$$;
REVOKE EXECUTE ON FUNCTION pactum_contract_group_ids(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_contract_group_ids(uuid, uuid) TO pactum_app;
