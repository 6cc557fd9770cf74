-- Pactum schema, chapter 3: signed documents, encrypted at rest with a key per tenant.
--
-- Envelope encryption: each tenant has a random 256-bit data key, stored only wrapped (AES-256-GCM) by
-- PACTUM_MASTER_KEY. Document bytes are encrypted with the tenant's data key before they reach the disk
-- or the bucket; the database keeps the SHA-256 of the plaintext so tampering is refused on download.

CREATE TABLE tenant_keys (
  tenant_id    uuid NOT NULL DEFAULT pactum_current_tenant() REFERENCES tenants (id),
  version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  wrapped_key  bytea NOT NULL CHECK (length(wrapped_key) BETWEEN 48 AND 128),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);
SELECT pactum_isolate_tenant_table('tenant_keys');
GRANT SELECT, INSERT ON tenant_keys TO pactum_app;

CREATE TABLE documents (
  tenant_id     uuid NOT NULL DEFAULT pactum_current_tenant(),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  contract_id   uuid NOT NULL,
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes    bigint NOT NULL CHECK (size_bytes BETWEEN 1 AND 26214400),
  sha256        bytea NOT NULL CHECK (length(sha256) = 32),
  storage_key   text NOT NULL CHECK (length(storage_key) <= 300),
  key_version   integer NOT NULL,
  uploaded_by   uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
  FOREIGN KEY (tenant_id, key_version) REFERENCES tenant_keys (tenant_id, version),
  FOREIGN KEY (tenant_id, uploaded_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX documents_contract ON documents (tenant_id, contract_id, created_at);
SELECT pactum_isolate_tenant_table('documents');
GRANT SELECT, INSERT ON documents TO pactum_app;

-- A document is visible exactly when its contract is.
CREATE POLICY through_visible_contract ON documents AS RESTRICTIVE FOR ALL TO PUBLIC
  USING (EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = documents.tenant_id AND c.id = documents.contract_id));
