-- Pactum schema, chapter 13: the orphan sweep of document blobs.
--
-- A document's blob is written before its row, so a process that dies in between (or a delete that
-- failed after a failed insert) leaves a blob no row points to. A job under a lease ('document-sweep',
-- see chapter 4) lists the storage and removes blobs older than a grace period that have no row.
--
-- Deciding "no row" needs the whole documents table: the job runs as pactum_app, which sees no tenant's
-- rows without a tenant context, and even inside a tenant does not see documents of restricted contracts
-- (the visibility policy) — it would delete those blobs. Hence one narrow SECURITY DEFINER door: given
-- storage keys the caller found in storage, it answers which of them a row references. It reveals only
-- whether a (tenant id, document id) pair that the caller already names exists, and nothing of the row.

CREATE FUNCTION pactum_referenced_document_keys(p_keys text[]) RETURNS SETOF text
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  IF cardinality(p_keys) > 1000 THEN
    RAISE EXCEPTION 'pactum_referenced_document_keys takes at most 1000 keys' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (
    SELECT 1 FROM unnest(p_keys) AS k(key)
     WHERE k.key IS NULL
        OR k.key !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  ) THEN
    RAISE EXCEPTION 'pactum_referenced_document_keys takes document storage keys only' USING ERRCODE = '22023';
  END IF;
  -- The primary key finds each row; the storage_key comparison makes "referenced" mean exactly that.
  RETURN QUERY
    SELECT d.storage_key
      FROM unnest(p_keys) AS k(key)
      JOIN documents d
        ON d.tenant_id = split_part(k.key, '/', 1)::uuid
       AND d.id = split_part(k.key, '/', 2)::uuid
       AND d.storage_key = k.key;
END
$$;

REVOKE EXECUTE ON FUNCTION pactum_referenced_document_keys(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_referenced_document_keys(text[]) TO pactum_app;
