/**
 * One consistent picture of the database's catalog, as loaded by `load.ts`: schemas, relations and
 * their columns, functions, and what a write to a table can set off beyond its own rows (foreign
 * keys that cascade, triggers, rewrite rules). Immutable once built; a refresh builds a new one.
 */
import type { RelationFacts } from '../policy/types.js';
import type { Volatility } from '../sql/types.js';

export type RelationKind = NonNullable<RelationFacts['kind']>;

export interface RelationEntry {
  oid: number;
  schema: string;
  name: string;
  kind: RelationKind;
  /** `pg_class.reltuples` when it means a row count: absent for -1 (never analysed) and partitioned parents. */
  rows?: number;
  /** A partition of a partitioned table. */
  partition: boolean;
  /** Temporary relation (in some session's pg_temp schema). */
  temporary: boolean;
  /** Has (or had) child tables, by inheritance or partitioning: a write to it may reach theirs. */
  parent: boolean;
  /** Column names by attribute number (dropped columns left out). */
  columns: ReadonlyMap<number, string>;
  /** Column type OIDs by attribute number. */
  columnTypes: ReadonlyMap<number, number>;
}

export type FunctionKind = 'function' | 'procedure' | 'aggregate' | 'window';

export interface FunctionEntry {
  oid: number;
  schema: string;
  name: string;
  /** Declared arguments (`pronargs`), and how many of them have defaults. */
  argCount: number;
  defaults: number;
  variadic: boolean;
  volatility: Volatility;
  language: string;
  owner: string;
  kind: FunctionKind;
  /** Defined in `pg_catalog` (a builtin, or something installed there by a superuser). */
  builtin: boolean;
}

/** A foreign key on another table that changes rows when rows of the referenced table go or change. */
export interface CascadeEntry {
  /** The table whose rows are changed by the action. */
  referencing: number;
  onDelete: 'cascade' | 'set-null' | 'set-default' | 'none';
  onUpdate: 'cascade' | 'set-null' | 'set-default' | 'none';
  /** Referenced columns (attribute numbers of the referenced table). */
  columns: number[];
}

export type WriteEvent = 'insert' | 'update' | 'delete' | 'truncate';

/** A user trigger or a non-SELECT rewrite rule: something that can change rows the command tag does not count. */
export interface HookEntry {
  type: 'trigger' | 'rule';
  name: string;
  events: WriteEvent[];
}

export interface CatalogSnapshot {
  /** `Date.now()` when it was loaded. */
  loadedAt: number;
  /** Schema name → oid. */
  schemas: ReadonlyMap<string, number>;
  relations: ReadonlyMap<number, RelationEntry>;
  /** `schema.name` → oid. */
  relationByName: ReadonlyMap<string, number>;
  /** Relation name → oids in every schema that has one. */
  relationsNamed: ReadonlyMap<string, number[]>;
  functions: ReadonlyMap<number, FunctionEntry>;
  /** Function name → every function of that name, any schema. */
  functionsNamed: ReadonlyMap<string, FunctionEntry[]>;
  /** Referenced table oid → foreign keys with an action on it. */
  cascades: ReadonlyMap<number, CascadeEntry[]>;
  /** Table oid → its enabled user triggers and non-SELECT rules. */
  hooks: ReadonlyMap<number, HookEntry[]>;
}

type Row = (string | null)[];

const RELATION_KINDS: Readonly<Record<string, RelationKind>> = {
  r: 'table',
  v: 'view',
  m: 'materialized-view',
  p: 'partitioned-table',
  f: 'foreign-table',
  S: 'sequence',
};
const VOLATILITY: Readonly<Record<string, Volatility>> = { i: 'immutable', s: 'stable', v: 'volatile' };
const FUNCTION_KINDS: Readonly<Record<string, FunctionKind>> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };
const FK_ACTIONS: Readonly<Record<string, CascadeEntry['onDelete']>> = { c: 'cascade', n: 'set-null', d: 'set-default' };
/** pg_trigger.tgtype bits (see pg_trigger.h). */
const TRIGGER_EVENTS: readonly [number, WriteEvent][] = [
  [1 << 2, 'insert'],
  [1 << 3, 'delete'],
  [1 << 4, 'update'],
  [1 << 5, 'truncate'],
];
const RULE_EVENTS: Readonly<Record<string, WriteEvent>> = { '2': 'update', '3': 'insert', '4': 'delete' };

/** The raw rows of the catalog queries (see `load.ts`), in their column order. */
export interface CatalogRows {
  schemas: Row[];
  relations: Row[];
  columns: Row[];
  functions: Row[];
  foreignKeys: Row[];
  triggers: Row[];
  rules: Row[];
}

export function buildSnapshot(rows: CatalogRows, loadedAt: number): CatalogSnapshot {
  const schemas = new Map(rows.schemas.map(([oid, name]) => [name!, Number(oid)]));

  const columns = new Map<number, Map<number, string>>();
  const types = new Map<number, Map<number, number>>();
  for (const [relid, attnum, name, type] of rows.columns) {
    const oid = Number(relid);
    let map = columns.get(oid);
    let typeMap = types.get(oid);
    if (!map) columns.set(oid, (map = new Map()));
    if (!typeMap) types.set(oid, (typeMap = new Map()));
    map.set(Number(attnum), name!);
    typeMap.set(Number(attnum), Number(type));
  }

  const relations = new Map<number, RelationEntry>();
  const relationByName = new Map<string, number>();
  const relationsNamed = new Map<string, number[]>();
  for (const [oidText, schema, name, relkind, reltuples, partition, persistence, hasChildren] of rows.relations) {
    const oid = Number(oidText);
    const kind = RELATION_KINDS[relkind!] ?? 'unknown';
    const tuples = Number(reltuples);
    const entry: RelationEntry = {
      oid,
      schema: schema!,
      name: name!,
      kind,
      partition: partition === 't',
      temporary: persistence === 't',
      parent: hasChildren === 't',
      columns: columns.get(oid) ?? new Map(),
      columnTypes: types.get(oid) ?? new Map(),
      ...(kind !== 'partitioned-table' && Number.isFinite(tuples) && tuples >= 0 ? { rows: Math.round(tuples) } : {}),
    };
    relations.set(oid, entry);
    relationByName.set(`${entry.schema}.${entry.name}`, oid);
    push(relationsNamed, entry.name, oid);
  }

  const functions = new Map<number, FunctionEntry>();
  const functionsNamed = new Map<string, FunctionEntry[]>();
  for (const [oid, schema, name, nargs, volatility, language, owner, prokind, variadic, defaults] of rows.functions) {
    const entry: FunctionEntry = {
      oid: Number(oid),
      schema: schema!,
      name: name!,
      argCount: Number(nargs),
      defaults: Number(defaults ?? 0),
      variadic: variadic === 't',
      volatility: VOLATILITY[volatility!] ?? 'volatile',
      language: language!,
      owner: owner ?? '',
      kind: FUNCTION_KINDS[prokind!] ?? 'function',
      builtin: schema === 'pg_catalog',
    };
    functions.set(entry.oid, entry);
    push(functionsNamed, entry.name, entry);
  }

  const cascades = new Map<number, CascadeEntry[]>();
  for (const [referenced, referencing, onDelete, onUpdate, keys] of rows.foreignKeys) {
    const entry: CascadeEntry = {
      referencing: Number(referencing),
      onDelete: FK_ACTIONS[onDelete!] ?? 'none',
      onUpdate: FK_ACTIONS[onUpdate!] ?? 'none',
      columns: intArray(keys),
    };
    if (entry.onDelete !== 'none' || entry.onUpdate !== 'none') push(cascades, Number(referenced), entry);
  }

  const hooks = new Map<number, HookEntry[]>();
  for (const [relid, name, tgtype, enabled] of rows.triggers) {
    // Disabled (`D`) and replica-only (`R`) triggers do not fire: session_replication_role is pinned to origin.
    if (enabled === 'D' || enabled === 'R') continue;
    const bits = Number(tgtype);
    push(hooks, Number(relid), { type: 'trigger', name: name!, events: TRIGGER_EVENTS.filter(([bit]) => bits & bit).map(([, e]) => e) });
  }
  for (const [relid, name, evType] of rows.rules) {
    const event = RULE_EVENTS[evType!];
    if (event) push(hooks, Number(relid), { type: 'rule', name: name!, events: [event] });
  }

  return { loadedAt, schemas, relations, relationByName, relationsNamed, functions, functionsNamed, cascades, hooks };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `{1,2}` → [1, 2]. */
function intArray(text: string | null | undefined): number[] {
  if (!text || text === '{}') return [];
  return text.slice(1, -1).split(',').map(Number);
}
