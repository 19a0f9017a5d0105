/**
 * Privilege and role changes: GRANT/REVOKE (objects and roles), CREATE/ALTER/DROP ROLE, ALTER …
 * OWNER, REASSIGN OWNED, ALTER DEFAULT PRIVILEGES, SECURITY LABEL, row-level security policies.
 * (SET ROLE and SET SESSION AUTHORIZATION are VariableSetStmts: see config.ts.)
 */
import { as, defElems, list, roleName, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { objectKindOf, objectName } from './ddl-effect.js';
import type { PrivilegeEffect } from './types.js';

function roles(value: unknown): string[] {
  return list(value).map((r) => roleName(r) ?? '');
}

function privilegeNames(value: unknown): string[] {
  const privs = list(value);
  if (privs.length === 0) return ['all'];
  return privs.map((p) => {
    const ap = as(p, 'AccessPriv');
    return str(ap?.priv_name) ?? 'all';
  });
}

function grantStmt(f: Fields, a: Analyzer): PrivilegeEffect {
  const objectKind = str(f.targtype) === 'ACL_TARGET_ALL_IN_SCHEMA' ? `all-${objectKindOf(f.objtype)}s-in-schema` : objectKindOf(f.objtype);
  return a.add({
    type: 'privilege',
    operation: f.is_grant ? 'grant' : 'revoke',
    targets: list(f.objects).map(objectName),
    privileges: privilegeNames(f.privileges),
    grantees: roles(f.grantees),
    objectKind,
  });
}

/** Role options as words: `superuser`, `nocreatedb`, `password`, `connectionlimit`… (never their values). */
function roleOptions(options: unknown): string[] {
  return defElems(options).map((d) => {
    const name = (str(d.defname) ?? '').toLowerCase();
    // SUPERUSER / NOSUPERUSER and the like are Boolean nodes; other options carry values, not switches.
    const flag = as(d.arg, 'Boolean');
    return flag && flag.boolval !== true ? `no${name}` : name;
  });
}

export const privilegeHandlers: Readonly<Record<string, Handler>> = {
  GrantStmt: (f, a) => {
    grantStmt(f, a);
  },
  GrantRoleStmt: (f, a) => {
    a.add({
      type: 'privilege',
      operation: f.is_grant ? 'grant-role' : 'revoke-role',
      targets: list(f.granted_roles).map((r) => str(as(r, 'AccessPriv')?.priv_name) ?? roleName(r) ?? ''),
      grantees: roles(f.grantee_roles),
    });
  },
  CreateRoleStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'create-role', targets: [str(f.role) ?? ''], privileges: roleOptions(f.options) });
  },
  AlterRoleStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'alter-role', targets: [roleName(f.role) ?? ''], privileges: roleOptions(f.options) });
  },
  DropRoleStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'drop-role', targets: roles(f.roles) });
  },
  AlterOwnerStmt: (f, a) => {
    const rv = f.relation as Fields | undefined;
    const target = rv ? objectName({ RangeVar: rv }) : objectName(f.object);
    const owner = roleName(f.newowner);
    a.add({ type: 'privilege', operation: 'alter-owner', targets: [target], grantees: owner ? [owner] : [], objectKind: objectKindOf(f.objectType) });
  },
  ReassignOwnedStmt: (f, a) => {
    const owner = roleName(f.newrole);
    a.add({ type: 'privilege', operation: 'alter-owner', targets: roles(f.roles), grantees: owner ? [owner] : [], objectKind: 'owned' });
  },
  AlterDefaultPrivilegesStmt: (f, a) => {
    const action = f.action as Fields | undefined;
    const grant = action ? grantStmt(action, a) : undefined;
    a.add({
      type: 'privilege',
      operation: 'alter-default-privileges',
      targets: defElems(f.options).flatMap((d) => list(d.arg).map((x) => objectName(x))),
      ...(grant?.privileges ? { privileges: grant.privileges } : {}),
      ...(grant?.grantees ? { grantees: grant.grantees } : {}),
    });
  },
  SecLabelStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'security-label', targets: [objectName(f.object)], objectKind: objectKindOf(f.objtype) });
  },
  CreatePolicyStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'create-policy', targets: [str(f.policy_name) ?? ''], objectKind: 'policy' });
    a.with({ deferred: 'rule', via: 'rule' }, () => a.expr([f.qual, f.with_check], 'where'));
  },
  AlterPolicyStmt: (f, a) => {
    a.add({ type: 'privilege', operation: 'alter-policy', targets: [str(f.policy_name) ?? ''], objectKind: 'policy' });
    a.with({ deferred: 'rule', via: 'rule' }, () => a.expr([f.qual, f.with_check], 'where'));
  },
};
