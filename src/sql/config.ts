/**
 * Configuration changes: SET / RESET, set_config(), ALTER SYSTEM, ALTER ROLE/DATABASE … SET, SET
 * TRANSACTION and SET SESSION CHARACTERISTICS — with the safety switches each one touches.
 */
import { as, defElems, list, names, roleName, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { literalText } from './literals.js';
import type { ConfigEffect, ConfigOperation, RelationName, SafetySwitch } from './types.js';

const SAFETY: Readonly<Record<string, SafetySwitch>> = {
  session_replication_role: 'replication-role',
  default_transaction_read_only: 'read-only',
  transaction_read_only: 'read-only',
  standard_conforming_strings: 'standard-conforming-strings',
  client_encoding: 'client-encoding',
  search_path: 'search-path',
  role: 'role',
  session_authorization: 'session-authorization',
  row_security: 'row-security',
  statement_timeout: 'statement-timeout',
  lock_timeout: 'statement-timeout',
  idle_in_transaction_session_timeout: 'statement-timeout',
  transaction_timeout: 'statement-timeout',
  session_preload_libraries: 'library',
  local_preload_libraries: 'library',
  shared_preload_libraries: 'library',
  dynamic_library_path: 'library',
};

/** The safety switches a setting touches (setting names are case-insensitive). */
export function safetyOf(name: string): SafetySwitch[] | undefined {
  const s = SAFETY[name.toLowerCase()];
  return s ? [s] : undefined;
}

function configEffect(
  operation: ConfigOperation,
  name: string | undefined,
  value: string | undefined,
  scope: ConfigEffect['scope'],
  target?: string,
): ConfigEffect {
  const effect: ConfigEffect = { type: 'config', operation };
  if (name !== undefined) effect.name = name.toLowerCase();
  if (value !== undefined) effect.value = value;
  if (scope !== undefined) effect.scope = scope;
  if (target !== undefined) effect.target = target;
  const safety = name === undefined ? undefined : safetyOf(name);
  if (safety) effect.safety = safety;
  return effect;
}

/** The value of SET's argument list as text (`a, b`), or undefined when computed. */
function setValue(args: unknown[], a: Analyzer): string | undefined {
  const parts: string[] = [];
  for (const arg of args) {
    const text = literalText(arg, a);
    if (text === undefined) return undefined;
    parts.push(text);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** SET TRANSACTION / SESSION CHARACTERISTICS: only READ WRITE touches the read-only switch. */
function transactionModes(fields: Fields, operation: ConfigOperation, scope: ConfigEffect['scope'], a: Analyzer): void {
  const modes: string[] = [];
  let readWrite = false;
  for (const d of defElems(fields.args)) {
    const value = literalText(d.arg, a);
    const defname = str(d.defname) ?? '';
    if (defname === 'transaction_read_only') {
      readWrite = value === '0' || value === 'false';
      modes.push(readWrite ? 'read write' : 'read only');
    } else if (value !== undefined) {
      modes.push(`${defname.replace('transaction_', '')} ${value}`);
    }
  }
  const effect = configEffect(operation, undefined, modes.join(', ') || undefined, scope);
  if (readWrite) effect.safety = ['read-only'];
  a.add(effect);
}

/** One SET/RESET as a config effect (also the inner statement of ALTER SYSTEM / ALTER ROLE … SET). */
function setStatement(fields: Fields, a: Analyzer, outer?: { operation: ConfigOperation; scope: ConfigEffect['scope']; target?: string }): void {
  const kind = str(fields.kind);
  const name = str(fields.name);
  const localScope = fields.is_local ? 'local' : 'session';
  const scope = outer?.scope ?? localScope;
  switch (kind) {
    case 'VAR_SET_MULTI':
      if (name === 'SESSION CHARACTERISTICS') transactionModes(fields, 'set-session-characteristics', 'session', a);
      else transactionModes(fields, 'set-transaction', 'transaction', a);
      return;
    case 'VAR_RESET_ALL':
      a.add(configEffect(outer?.operation ?? 'reset-all', undefined, undefined, scope, outer?.target));
      return;
    case 'VAR_RESET':
    case 'VAR_SET_DEFAULT':
      a.add(configEffect(outer?.operation ?? 'reset', name, undefined, scope, outer?.target));
      if (!outer && name === 'role') a.add({ type: 'privilege', operation: 'reset-role', targets: [] });
      if (!outer && name === 'session_authorization') {
        a.add({ type: 'privilege', operation: 'set-session-authorization', targets: ['default'] });
      }
      return;
    default: {
      const value = setValue(list(fields.args), a);
      a.add(configEffect(outer?.operation ?? 'set', name, value, scope, outer?.target));
      if (outer) return;
      if (name === 'role') a.add({ type: 'privilege', operation: 'set-role', targets: value ? [value] : [] });
      if (name === 'session_authorization') {
        a.add({ type: 'privilege', operation: 'set-session-authorization', targets: value ? [value] : [] });
      }
    }
  }
}

/** set_config(name, value, is_local) */
export function setConfigCall(_fn: string, args: unknown[], a: Analyzer): void {
  const name = args[0] === undefined ? undefined : literalText(args[0], a);
  const value = args[1] === undefined ? undefined : literalText(args[1], a);
  const local = args[2] === undefined ? undefined : literalText(args[2], a);
  const scope = local === 'true' ? 'local' : local === 'false' ? 'session' : undefined;
  a.add(configEffect('set-config', name, value, scope));
  if (name?.toLowerCase() === 'role') a.add({ type: 'privilege', operation: 'set-role', targets: value ? [value] : [] });
}

/** Whether a relation is pg_settings, which UPDATE turns into set_config(). */
export function isPgSettings(relation: RelationName): boolean {
  return relation.name === 'pg_settings' && (relation.schema === undefined || relation.schema === 'pg_catalog');
}

/** `= 'literal'` comparisons of a column in a WHERE made of ANDs. */
function equalities(where: unknown, column: string, a: Analyzer): string[] {
  const bool = as(where, 'BoolExpr');
  if (bool) return str(bool.boolop) === 'AND_EXPR' ? list(bool.args).flatMap((x) => equalities(x, column, a)) : [];
  const expr = as(where, 'A_Expr');
  if (!expr || str(expr.kind) !== 'AEXPR_OP' || names(expr.name).join('.') !== '=') return [];
  const ref = names(as(expr.lexpr, 'ColumnRef')?.fields);
  if (ref[ref.length - 1] !== column) return [];
  const value = literalText(expr.rexpr, a);
  return value === undefined ? [] : [value];
}

/** UPDATE pg_settings SET setting = … WHERE name = …: a SET in disguise (an unknown setting when the name is not a literal). */
export function pgSettingsUpdate(f: Fields, a: Analyzer): void {
  const name = equalities(f.whereClause, 'name', a)[0];
  let value: string | undefined;
  for (const t of list(f.targetList)) {
    const target = as(t, 'ResTarget');
    if (str(target?.name) === 'setting') value = literalText(target?.val, a);
  }
  a.add(configEffect('set', name, value, 'session'));
}

export const configHandlers: Readonly<Record<string, Handler>> = {
  VariableSetStmt: (f, a) => setStatement(f, a),
  VariableShowStmt: () => {},
  AlterSystemStmt: (f, a) => {
    const set = f.setstmt as Fields | undefined;
    if (set) setStatement(set, a, { operation: 'alter-system', scope: 'system' });
  },
  AlterRoleSetStmt: (f, a) => {
    const set = f.setstmt as Fields | undefined;
    const role = f.role ? roleName(f.role) : 'all';
    if (set) setStatement(set, a, { operation: 'alter-role-set', scope: 'role', ...(role ? { target: role } : {}) });
  },
  AlterDatabaseSetStmt: (f, a) => {
    const set = f.setstmt as Fields | undefined;
    const db = str(f.dbname);
    if (set) setStatement(set, a, { operation: 'alter-database-set', scope: 'database', ...(db ? { target: db } : {}) });
  },
};
