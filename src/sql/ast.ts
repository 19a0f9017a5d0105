/**
 * Reading libpg-query's JSON parse tree. A node is `{ TypeName: fields }` where a field may hold any
 * node; where the grammar fixes a field's type the fields come unwrapped (`relation: { relname }`).
 * Zero values are omitted: `{ ival: {} }` is 0, `{ boolval: {} }` is false.
 */
import type { AstNode } from './parser.js';
import type { RelationName } from './types.js';

export type { AstNode };

/** Fields of a node, or of a struct that came unwrapped. */
export type Fields = Record<string, unknown>;

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The type name of a wrapped node (`{ SelectStmt: {…} }` → `SelectStmt`), else undefined. */
export function nodeType(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  for (const key in value) {
    const first = key.charCodeAt(0);
    // Node type names start with an upper-case letter; field names never do.
    return first >= 65 && first <= 90 && isObject(value[key]) ? key : undefined;
  }
  return undefined;
}

/** The fields of a wrapped node of the given type, else undefined. */
export function as(value: unknown, type: string): Fields | undefined {
  if (!isObject(value)) return undefined;
  const inner = value[type];
  return isObject(inner) ? inner : undefined;
}

/** The fields of a wrapped node whatever its type. */
export function body(value: unknown): Fields | undefined {
  const type = nodeType(value);
  return type === undefined ? undefined : (value as Fields)[type] as Fields;
}

export function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const items = as(value, 'List')?.items;
  return Array.isArray(items) ? items : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A `String` node's text. */
export function stringValue(value: unknown): string | undefined {
  const s = as(value, 'String');
  return s ? (str(s.sval) ?? '') : undefined;
}

/** A list of `String` nodes as names (`[schema, name]`); other nodes are skipped. */
export function names(value: unknown): string[] {
  const out: string[] = [];
  for (const item of list(value)) {
    const s = stringValue(item);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** The value of an `A_Const` (fields), as PostgreSQL would read the literal. */
export type Constant = { kind: 'null' } | { kind: 'bool'; value: boolean } | { kind: 'number'; value: number; text: string } | { kind: 'string'; value: string } | { kind: 'bits'; value: string };

export function constantOf(fields: Fields): Constant {
  if (fields.isnull) return { kind: 'null' };
  if (isObject(fields.ival)) {
    const v = typeof fields.ival.ival === 'number' ? fields.ival.ival : 0;
    return { kind: 'number', value: v, text: String(v) };
  }
  if (isObject(fields.fval)) {
    const text = str(fields.fval.fval) ?? '0';
    return { kind: 'number', value: Number(text.replaceAll('_', '')), text };
  }
  if (isObject(fields.boolval)) return { kind: 'bool', value: fields.boolval.boolval === true };
  if (isObject(fields.sval)) return { kind: 'string', value: str(fields.sval.sval) ?? '' };
  if (isObject(fields.bsval)) return { kind: 'bits', value: str(fields.bsval.bsval) ?? '' };
  return { kind: 'null' };
}

/** A constant's text as SQL would show it in a setting (`on`, `42`, `'x'` → `x`). */
export function constantText(c: Constant): string | undefined {
  switch (c.kind) {
    case 'null':
      return undefined;
    case 'bool':
      return c.value ? 'true' : 'false';
    case 'number':
      return c.text;
    default:
      return c.value;
  }
}

/** A `RangeVar` (fields) as a relation name. */
export function relationOf(rv: Fields): RelationName {
  const name = str(rv.relname) ?? '';
  const schema = str(rv.schemaname);
  const catalog = str(rv.catalogname);
  const rel: RelationName = { name, qualified: schema !== undefined };
  if (schema !== undefined) rel.schema = schema;
  if (catalog !== undefined) rel.catalog = catalog;
  return rel;
}

export function relationText(rel: RelationName): string {
  return [rel.catalog, rel.schema, rel.name].filter((p) => p !== undefined).join('.');
}

/** `DefElem` nodes of an option list, by name. */
export function defElems(value: unknown): Fields[] {
  const out: Fields[] = [];
  for (const item of list(value)) {
    const d = as(item, 'DefElem');
    if (d) out.push(d);
  }
  return out;
}

/** The text of a DefElem's argument when it is a plain word, string or number. */
export function defElemText(d: Fields): string | undefined {
  const arg = d.arg;
  const s = stringValue(arg);
  if (s !== undefined) return s;
  const c = as(arg, 'A_Const');
  if (c) return constantText(constantOf(c));
  const i = as(arg, 'Integer');
  if (i) return String(typeof i.ival === 'number' ? i.ival : 0);
  const b = as(arg, 'Boolean');
  if (b) return b.boolval === true ? 'true' : 'false';
  const t = as(arg, 'TypeName');
  if (t) return names(t.names).join('.');
  return undefined;
}

/** How PostgreSQL reads a boolean option (`on`, `true`, `1`, absent argument…). */
export function booleanOption(text: string | undefined): boolean | undefined {
  if (text === undefined) return true;
  switch (text.toLowerCase()) {
    case 'true':
    case 'on':
    case '1':
    case 'yes':
    case 't':
    case 'y':
      return true;
    case 'false':
    case 'off':
    case '0':
    case 'no':
    case 'f':
    case 'n':
      return false;
    default:
      return undefined;
  }
}

/** `schema.name` of a function or object written as a name list. */
export function qualifiedName(parts: string[]): { schema?: string; name: string } {
  const name = parts[parts.length - 1] ?? '';
  return parts.length > 1 ? { schema: parts[parts.length - 2]!, name } : { name };
}

/** A role as written (`RoleSpec`, wrapped or not): `current_user`, `public`… for the special ones. */
export function roleName(spec: unknown): string | undefined {
  const r = as(spec, 'RoleSpec') ?? (spec as Fields | undefined);
  if (!r) return undefined;
  switch (str(r.roletype)) {
    case 'ROLESPEC_CSTRING':
      return str(r.rolename);
    case 'ROLESPEC_CURRENT_USER':
      return 'current_user';
    case 'ROLESPEC_SESSION_USER':
      return 'session_user';
    case 'ROLESPEC_CURRENT_ROLE':
      return 'current_role';
    case 'ROLESPEC_PUBLIC':
      return 'public';
    default:
      return str(r.rolename);
  }
}
