/**
 * DDL effects and the names of the objects they concern, shared by every module that reports DDL.
 */
import { as, names, qualifiedName, relationOf, relationText, roleName, str, stringValue } from './ast.js';
import type { Analyzer } from './analyzer.js';
import type { DdlEffect, DdlOperation, RelationName } from './types.js';

const OBJECT_KINDS: Readonly<Record<string, string>> = {
  OBJECT_MATVIEW: 'materialized-view',
  OBJECT_FDW: 'foreign-data-wrapper',
  OBJECT_FOREIGN_SERVER: 'server',
  OBJECT_TSCONFIGURATION: 'text-search-configuration',
  OBJECT_TSDICTIONARY: 'text-search-dictionary',
  OBJECT_TSPARSER: 'text-search-parser',
  OBJECT_TSTEMPLATE: 'text-search-template',
  OBJECT_OPCLASS: 'operator-class',
  OBJECT_OPFAMILY: 'operator-family',
  OBJECT_LARGEOBJECT: 'large-object',
  OBJECT_TABCONSTRAINT: 'constraint',
  OBJECT_DOMCONSTRAINT: 'domain-constraint',
  OBJECT_DEFACL: 'default-privileges',
};

const kinds = new Map<string, string>();

/** `OBJECT_FOREIGN_TABLE` → `foreign-table`. */
export function objectKindOf(objectType: unknown): string {
  const t = str(objectType) ?? 'OBJECT_UNKNOWN';
  let kind = kinds.get(t);
  if (kind === undefined) {
    kind = OBJECT_KINDS[t] ?? t.replace(/^OBJECT_/, '').toLowerCase().replaceAll('_', '-');
    // The enum is closed: the map stays small.
    if (kinds.size < 256) kinds.set(t, kind);
  }
  return kind;
}

/** An object name as written, whatever node the grammar used for it. */
export function objectName(node: unknown): string {
  const s = stringValue(node);
  if (s !== undefined) return s;
  const owa = as(node, 'ObjectWithArgs');
  if (owa) return names(owa.objname).join('.');
  const tn = as(node, 'TypeName');
  if (tn) return names(tn.names).join('.');
  const rv = as(node, 'RangeVar');
  if (rv) return relationText(relationOf(rv));
  const role = as(node, 'RoleSpec');
  if (role) return roleName(role) ?? '';
  const i = as(node, 'Integer');
  if (i) return String(i.ival ?? 0);
  return names(node).join('.');
}

/** A relation named by a list (`[schema, table]`) as in DROP TABLE. */
export function relationFromNames(parts: string[]): RelationName {
  const { schema, name } = qualifiedName(parts);
  const rel: RelationName = { name, qualified: schema !== undefined };
  if (schema !== undefined) rel.schema = schema;
  if (parts.length > 2) rel.catalog = parts[parts.length - 3]!;
  return rel;
}

export const RELATION_KINDS = new Set(['table', 'view', 'materialized-view', 'foreign-table', 'sequence', 'index']);

export function ddl(
  a: Analyzer,
  operation: DdlOperation,
  objectKind: string,
  objectNames: string[],
  extra: Partial<Pick<DdlEffect, 'relation' | 'cascade' | 'column' | 'ifExists'>> = {},
): DdlEffect {
  const effect: DdlEffect = { type: 'ddl', operation, objectKind, names: objectNames };
  if (extra.relation) effect.relation = extra.relation;
  if (extra.cascade) effect.cascade = true;
  if (extra.column !== undefined) effect.column = extra.column;
  if (extra.ifExists) effect.ifExists = true;
  return a.add(effect);
}

