-- Pactum schema: the state of the scheduled backup, one row for the whole installation.
--
-- `pactum serve` runs the daily backup on whichever node holds the 'backup' lease (job_leases); every
-- node's /readyz reports the outcome, so it lives here rather than in one process's memory. The app role
-- reaches it only through the two functions below.

CREATE TABLE backup_status (
  singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_success_at  timestamptz,
  last_backup_id   text CHECK (length(last_backup_id) <= 100),
  last_error       text CHECK (length(last_error) <= 1000),
  last_attempt_at  timestamptz
);
SELECT pactum_seal_global_table('backup_status');

-- A finished attempt: p_error NULL records a success (and clears the last error), anything else a failure.
CREATE FUNCTION pactum_record_backup(p_at timestamptz, p_backup_id text, p_error text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  INSERT INTO backup_status AS s (singleton, last_success_at, last_backup_id, last_error, last_attempt_at)
  VALUES (true, CASE WHEN p_error IS NULL THEN p_at END, CASE WHEN p_error IS NULL THEN p_backup_id END, left(p_error, 1000), p_at)
  ON CONFLICT (singleton) DO UPDATE
     SET last_success_at = CASE WHEN p_error IS NULL THEN p_at ELSE s.last_success_at END,
         last_backup_id  = CASE WHEN p_error IS NULL THEN p_backup_id ELSE s.last_backup_id END,
         last_error      = left(p_error, 1000),
         last_attempt_at = p_at
$$;

CREATE FUNCTION pactum_backup_status()
  RETURNS TABLE (last_success_at timestamptz, last_backup_id text, last_error text, last_attempt_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT last_success_at, last_backup_id, last_error, last_attempt_at FROM backup_status $$;

REVOKE EXECUTE ON FUNCTION pactum_record_backup(timestamptz, text, text), pactum_backup_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pactum_record_backup(timestamptz, text, text), pactum_backup_status() TO pactum_app;
