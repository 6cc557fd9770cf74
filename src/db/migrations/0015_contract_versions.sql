-- Pactum schema, chapter 15: following a contract's versions forwards (GET /api/v1/contracts/{id}/versions).
-- The walk back goes by primary key (supersedes_id names its predecessor); the walk forward asks which
-- contracts supersede a given one, which without this index reads every contract of the tenant per step.
CREATE INDEX contracts_supersedes ON contracts (tenant_id, supersedes_id) WHERE supersedes_id IS NOT NULL;
