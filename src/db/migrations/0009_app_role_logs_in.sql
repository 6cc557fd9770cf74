-- Pactum schema, chapter 9: the service logs in as pactum_app.
--
-- Until now the service connected as the owner and switched to pactum_app per transaction, so a statement
-- that ever ran without the switch ran as the owner and saw every tenant. Now the service's connection
-- (PACTUM_DATABASE_URL) logs in as pactum_app itself: not a superuser, no BYPASSRLS, owns nothing, and is
-- a member of no role that owns anything, so there is no role to switch up to. Migrations keep their own
-- owner connection (PACTUM_MIGRATION_DATABASE_URL). The operator gives the role its password:
--   ALTER ROLE pactum_app PASSWORD '…';
-- (without one, only connections the server trusts by pg_hba.conf can log in).
--
-- Roles are cluster-wide: another database's migration may alter the role at the same moment, which
-- PostgreSQL reports as an internal error ("tuple concurrently updated"); the role is then as wanted.
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pactum_app') THEN
    ALTER ROLE pactum_app LOGIN;
  END IF;
EXCEPTION WHEN internal_error THEN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pactum_app') THEN
    RAISE;
  END IF;
END
$$;
