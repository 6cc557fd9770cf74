-- Pactum schema, chapter 2: the contract vault and who may see each contract.
--
-- Access groups let the master restrict a contract to a circle of users. The visibility rule (API.md):
-- a contract without groups is visible to every active user of its tenant; a contract with groups only
-- to members of at least one of them. It is a RESTRICTIVE policy on contracts, and everything hanging off
-- a contract (its groups, line items, documents) is visible only through a visible contract. Being master
-- does not by itself reveal a restricted contract.

CREATE TABLE access_groups (
  tenant_id    uuid NOT NULL DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description  text CHECK (length(description) <= 1000),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX access_groups_name ON access_groups (tenant_id, lower(name));
SELECT pactum_isolate_tenant_table('access_groups');
GRANT SELECT, INSERT, UPDATE, DELETE ON access_groups TO pactum_app;

CREATE TABLE access_group_members (
  tenant_id  uuid NOT NULL DEFAULT pactum_current_tenant(),
  group_id   uuid NOT NULL,
  user_id    uuid NOT NULL,
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, group_id, user_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES access_groups (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX access_group_members_user ON access_group_members (tenant_id, user_id);
SELECT pactum_isolate_tenant_table('access_group_members');
GRANT SELECT, INSERT, DELETE ON access_group_members TO pactum_app;

-- Vendors: who the software is bought from. Aliases help match imported rows to a vendor.
CREATE TABLE vendors (
  tenant_id   uuid NOT NULL DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  website     text CHECK (length(website) <= 500),
  notes       text CHECK (length(notes) <= 10000),
  aliases     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(aliases) <= 50),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX vendors_name ON vendors (tenant_id, lower(name));
SELECT pactum_isolate_tenant_table('vendors');
GRANT SELECT, INSERT, UPDATE, DELETE ON vendors TO pactum_app;

-- The licence metrics Pactum knows; each vendor words its own definition of them.
CREATE DOMAIN licence_metric AS text CHECK (VALUE IN (
  'user', 'named_user', 'concurrent_user', 'device', 'core', 'processor', 'server', 'instance', 'site',
  'enterprise', 'subscription', 'other'));

CREATE TABLE vendor_metrics (
  tenant_id   uuid NOT NULL DEFAULT pactum_current_tenant(),
  vendor_id   uuid NOT NULL,
  metric      licence_metric NOT NULL,
  definition  text NOT NULL CHECK (length(definition) BETWEEN 1 AND 5000),
  PRIMARY KEY (tenant_id, vendor_id, metric),
  FOREIGN KEY (tenant_id, vendor_id) REFERENCES vendors (tenant_id, id) ON DELETE CASCADE
);
SELECT pactum_isolate_tenant_table('vendor_metrics');
GRANT SELECT, INSERT, UPDATE, DELETE ON vendor_metrics TO pactum_app;

CREATE TABLE products (
  tenant_id   uuid NOT NULL DEFAULT pactum_current_tenant(),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  vendor_id   uuid NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  sku         text CHECK (length(sku) <= 100),
  metric      licence_metric NOT NULL,
  block_size  integer NOT NULL DEFAULT 1 CHECK (block_size BETWEEN 1 AND 1000000000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, vendor_id) REFERENCES vendors (tenant_id, id)
);
CREATE INDEX products_vendor ON products (tenant_id, vendor_id);
CREATE UNIQUE INDEX products_vendor_name ON products (tenant_id, vendor_id, lower(name));
SELECT pactum_isolate_tenant_table('products');
GRANT SELECT, INSERT, UPDATE, DELETE ON products TO pactum_app;

-- Contracts and proposals share one shape; `kind` tells them apart and fixes the statuses each may take.
-- `restricted` mirrors "has at least one access group" (kept by a trigger below), so the visibility
-- policy costs nothing for the common unrestricted contract.
CREATE TABLE contracts (
  tenant_id            uuid NOT NULL DEFAULT pactum_current_tenant(),
  id                   uuid NOT NULL DEFAULT gen_random_uuid(),
  vendor_id            uuid NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('contract', 'proposal')),
  reference            text CHECK (length(reference) <= 100),
  title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  status               text NOT NULL,
  signed_on            date,
  starts_on            date NOT NULL,
  ends_on              date,
  notice_period_days   integer CHECK (notice_period_days BETWEEN 0 AND 3650),
  auto_renew           boolean NOT NULL DEFAULT false,
  renewal_term_months  integer CHECK (renewal_term_months BETWEEN 1 AND 120),
  currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  manager_id           uuid NOT NULL,
  terms                text CHECK (length(terms) <= 20000),
  supersedes_id        uuid,
  restricted           boolean NOT NULL DEFAULT false,
  archived_at          timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, vendor_id) REFERENCES vendors (tenant_id, id),
  FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, supersedes_id) REFERENCES contracts (tenant_id, id),
  CHECK ((kind = 'contract' AND status IN ('active', 'expired', 'terminated'))
      OR (kind = 'proposal' AND status IN ('pending', 'accepted', 'rejected', 'superseded'))),
  CHECK (ends_on IS NULL OR ends_on >= starts_on),
  CHECK (NOT auto_renew OR (ends_on IS NOT NULL AND renewal_term_months IS NOT NULL)),
  CHECK (supersedes_id IS NULL OR supersedes_id <> id)
);
CREATE INDEX contracts_listing ON contracts (tenant_id, created_at DESC, id DESC) WHERE archived_at IS NULL;
CREATE INDEX contracts_vendor ON contracts (tenant_id, vendor_id) WHERE archived_at IS NULL;
CREATE INDEX contracts_manager ON contracts (tenant_id, manager_id);
CREATE INDEX contracts_ends ON contracts (tenant_id, ends_on) WHERE archived_at IS NULL AND kind = 'contract';
SELECT pactum_isolate_tenant_table('contracts');
-- No UPDATE on tenant_id, id or restricted: `restricted` belongs to the trigger below alone.
GRANT SELECT, INSERT ON contracts TO pactum_app;
GRANT UPDATE (vendor_id, kind, reference, title, status, signed_on, starts_on, ends_on, notice_period_days, auto_renew,
              renewal_term_months, currency, manager_id, terms, supersedes_id, archived_at, updated_at)
  ON contracts TO pactum_app;

CREATE TABLE contract_groups (
  tenant_id    uuid NOT NULL DEFAULT pactum_current_tenant(),
  contract_id  uuid NOT NULL,
  group_id     uuid NOT NULL,
  PRIMARY KEY (tenant_id, contract_id, group_id),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES access_groups (tenant_id, id)
);
CREATE INDEX contract_groups_group ON contract_groups (tenant_id, group_id);
SELECT pactum_isolate_tenant_table('contract_groups');
GRANT SELECT, INSERT, DELETE ON contract_groups TO pactum_app;

-- Is the current user in one of the contract's groups? SECURITY DEFINER so that the contracts policy can
-- read contract_groups without that table's own policy (which asks about contracts) recursing.
-- It answers only for the current tenant and the current user.
CREATE FUNCTION pactum_in_contract_group(p_tenant_id uuid, p_contract_id uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  SELECT p_tenant_id = pactum_current_tenant() AND EXISTS (
    SELECT 1
      FROM contract_groups g
      JOIN access_group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id
      JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id AND u.status = 'active'
     WHERE g.tenant_id = p_tenant_id AND g.contract_id = p_contract_id AND m.user_id = pactum_current_user())
$$;
REVOKE EXECUTE ON FUNCTION pactum_in_contract_group(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_in_contract_group(uuid, uuid) TO pactum_app;

CREATE POLICY contract_visibility ON contracts AS RESTRICTIVE FOR ALL TO PUBLIC
  USING (NOT restricted OR pactum_in_contract_group(tenant_id, id));

CREATE POLICY through_visible_contract ON contract_groups AS RESTRICTIVE FOR ALL TO PUBLIC
  USING (EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = contract_groups.tenant_id AND c.id = contract_groups.contract_id));

-- Keeps contracts.restricted equal to "has groups". Runs as the owner so that restricting a contract
-- is one consistent step; who may change a contract's groups is decided by the service.
CREATE FUNCTION pactum_sync_contract_restricted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  changed record;
BEGIN
  changed := coalesce(NEW, OLD);
  UPDATE contracts c
     SET restricted = EXISTS (SELECT 1 FROM contract_groups g WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id)
   WHERE c.tenant_id = changed.tenant_id AND c.id = changed.contract_id;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION pactum_sync_contract_restricted() FROM PUBLIC;
CREATE TRIGGER contract_groups_restrict AFTER INSERT OR DELETE ON contract_groups
  FOR EACH ROW EXECUTE FUNCTION pactum_sync_contract_restricted();

-- Line items: money is numeric, never floating point; totals are computed from these rows on read.
CREATE TABLE line_items (
  tenant_id            uuid NOT NULL DEFAULT pactum_current_tenant(),
  id                   uuid NOT NULL DEFAULT gen_random_uuid(),
  contract_id          uuid NOT NULL,
  position             integer NOT NULL CHECK (position >= 0),
  product_id           uuid NOT NULL,
  quantity             integer NOT NULL CHECK (quantity BETWEEN 0 AND 1000000000),
  block_size           integer NOT NULL CHECK (block_size BETWEEN 1 AND 1000000000),
  list_unit_price      numeric(19, 4) NOT NULL CHECK (list_unit_price >= 0),
  discount_percent     numeric(7, 4) CHECK (discount_percent BETWEEN 0 AND 100),
  net_unit_price       numeric(19, 4) NOT NULL CHECK (net_unit_price >= 0),
  maintenance_percent  numeric(7, 4) CHECK (maintenance_percent BETWEEN 0 AND 100),
  terms                text CHECK (length(terms) <= 5000),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, contract_id, position),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX line_items_product ON line_items (tenant_id, product_id);
SELECT pactum_isolate_tenant_table('line_items');
GRANT SELECT, INSERT, UPDATE, DELETE ON line_items TO pactum_app;

CREATE POLICY through_visible_contract ON line_items AS RESTRICTIVE FOR ALL TO PUBLIC
  USING (EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = line_items.tenant_id AND c.id = line_items.contract_id));
