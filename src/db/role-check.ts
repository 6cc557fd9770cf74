import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from './engine.js';
import type { Schema } from './schema.js';

/**
 * Why the role the service's pool logs in as would let isolation fail open, if it would: a superuser or a
 * BYPASSRLS role ignores row-level security, and a role that owns a table (or may become its owner) can
 * switch to a role that does. Also refused: statements not running as pactum_app at all (a connection
 * string whose own `options` override the role the pool asks for). Empty when the login is fit.
 */
export async function serviceRoleProblems(kysely: Kysely<Schema>): Promise<string[]> {
  const { rows } = await sql<{ login: string; running_as: string; superuser: boolean; bypass_rls: boolean; owned: string | null }>`
    SELECT r.rolname AS login, current_user AS running_as, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls,
           (SELECT min(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND pg_has_role(session_user, c.relowner, 'MEMBER')) AS owned
      FROM pg_roles r WHERE r.rolname = session_user`.execute(kysely);
  const role = rows[0];
  if (!role) return ['the database did not report the role the service logs in as'];
  const problems: string[] = [];
  if (role.superuser) problems.push(`it logs in as ${role.login}, a superuser`);
  else if (role.bypass_rls) problems.push(`it logs in as ${role.login}, which has BYPASSRLS`);
  else if (role.owned) problems.push(`it logs in as ${role.login}, which owns (or may switch to the owner of) the table ${role.owned}`);
  if (role.running_as !== APP_ROLE) problems.push(`its statements run as ${role.running_as}, not ${APP_ROLE}`);
  return problems;
}
