/**
 * Checks what the upstream role may do beyond what Parapet needs. Each risk is a way around the
 * guard: a superuser or a member of the server-file roles reaches the host's files and programs,
 * BYPASSRLS ignores row security, CREATEROLE can mint roles with more rights.
 */
import type { UpstreamConnection } from './connect.js';
import { UpstreamError } from './errors.js';
import { simpleQuery } from './simple-query.js';

export type RoleRisk = 'superuser' | 'pg_read_server_files' | 'pg_write_server_files' | 'pg_execute_server_program' | 'bypassrls' | 'createrole';

export interface RoleCheck {
  role: string;
  /** Empty when the role holds none of the risky attributes or memberships. */
  risks: RoleRisk[];
}

const MEMBERSHIPS = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'] as const;

// A membership is tested only if the predefined role exists (it does from PostgreSQL 11).
const SQL = `select r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole, ${MEMBERSHIPS.map(
  (name) => `coalesce((select pg_has_role(r.oid, m.oid, 'MEMBER') from pg_roles m where m.rolname = '${name}'), false)`,
).join(', ')} from pg_roles r where r.rolname = current_user`;

export async function checkUpstreamRole(conn: UpstreamConnection): Promise<RoleCheck> {
  const [row] = await simpleQuery(conn, SQL);
  if (!row) throw new UpstreamError('protocol', 'the upstream role check found no row for `current_user`');
  const [role, superuser, bypassrls, createrole, ...members] = row;
  const risks: RoleRisk[] = [];
  if (superuser === 't') risks.push('superuser');
  MEMBERSHIPS.forEach((name, i) => {
    if (members[i] === 't') risks.push(name);
  });
  if (bypassrls === 't') risks.push('bypassrls');
  if (createrole === 't') risks.push('createrole');
  return { role: role ?? '', risks };
}
