/**
 * Helpers the built-in rules share: picking effects out of an analysis, naming things in messages,
 * and finding the catalog facts of a relation as written.
 */
import type { DdlOperation, Effect, EffectType, RelationName, StatementAnalysis, WriteOperation } from '../../sql/types.js';
import type { DecisionRequest, RelationFacts } from '../types.js';
import type { RuleMatch } from '../rule.js';

export type EffectOf<T extends EffectType> = Extract<Effect, { type: T }>;

const NONE: readonly never[] = Object.freeze([]);
const indexes = new WeakMap<StatementAnalysis, Map<EffectType, Effect[]>>();

/**
 * The statement's effects grouped by type, built once per analysed statement: every rule asks for
 * a few types, and analyses are shared and never mutated (the analyser's contract). Effects of a
 * statement under plain EXPLAIN are left out — it is planned, not run — except function calls:
 * the planner evaluates immutable calls on constants, and a user function can claim to be immutable.
 */
function indexOf(statement: StatementAnalysis): Map<EffectType, Effect[]> {
  let index = indexes.get(statement);
  if (index === undefined) {
    index = new Map();
    for (const effect of statement.effects) {
      if (effect.via === 'explain' && effect.type !== 'function') continue;
      const list = index.get(effect.type);
      if (list === undefined) index.set(effect.type, [effect]);
      else list.push(effect);
    }
    indexes.set(statement, index);
  }
  return index;
}

/** The statement's effects of one type, in order (see {@link indexOf} for what is left out). */
export function effectsOf<T extends EffectType>(statement: StatementAnalysis, type: T): readonly EffectOf<T>[] {
  return (indexOf(statement).get(type) ?? NONE) as readonly EffectOf<T>[];
}

/** Whether the statement has an effect of any of these types. */
export function hasEffect(statement: StatementAnalysis, ...types: EffectType[]): boolean {
  const index = indexOf(statement);
  return types.some((type) => index.has(type));
}

/** User input quoted for a message; a backtick inside it cannot close the quote early. */
export function code(text: string): string {
  return '`' + text.replaceAll('`', "'") + '`';
}

/** A relation as written: `db.schema.table`, `schema.table` or `table`. */
export function relationText(relation: RelationName): string {
  return [relation.catalog, relation.schema, relation.name].filter((part) => part !== undefined && part !== '').join('.');
}

/** Where an effect comes from when it is not the statement's own top level, e.g. ` inside a DO block`. */
export function origin(effect: Effect): string {
  if (effect.deferred === 'prepare' || effect.via === 'prepare') return ' in a prepared statement';
  if (effect.deferred === 'function-body' || effect.via === 'function-body') return ' in a function body';
  if (effect.deferred === 'rule' || effect.via === 'rule') return ' in a rewrite rule';
  if (effect.deferred === 'trigger') return ' in a trigger';
  if (effect.via === 'do-block') return ' inside a DO block';
  if (effect.via === 'explain-analyze') return ' under EXPLAIN ANALYZE';
  if (effect.via === 'sql-string') return ' in SQL given as a string';
  if (effect.via === 'explain') return ' under EXPLAIN';
  return '';
}

const WRITE_VERBS: Record<WriteOperation, string> = {
  insert: 'inserts into',
  update: 'updates',
  delete: 'deletes from',
  merge: 'merges into',
  upsert: 'upserts into',
  'copy-from': 'copies rows into',
  'select-into': 'creates and fills',
  'create-table-as': 'creates and fills',
};

/** `updates`, `deletes from`, … for a write operation. */
export function writeVerb(operation: WriteOperation): string {
  return WRITE_VERBS[operation];
}

const DDL_VERBS: Record<DdlOperation, string> = {
  create: 'creates',
  alter: 'alters',
  drop: 'drops',
  truncate: 'truncates',
  rename: 'renames',
  'alter-drop-column': 'drops a column of',
  comment: 'comments on',
  refresh: 'refreshes',
  other: 'changes',
};

/** An object kind in words: `materialized-view` → `materialized view`. */
export function kindWords(objectKind: string): string {
  return objectKind.replaceAll('-', ' ');
}

/** `creates`, `alters`, `drops a column of`, … for a DDL operation. */
export function ddlVerb(operation: DdlOperation): string {
  return DDL_VERBS[operation];
}

/** The SQL keyword of a row-changing operation, for messages such as "the `DELETE` on …". */
export function writeKeyword(operation: WriteOperation): string {
  return operation === 'upsert' ? 'INSERT … ON CONFLICT' : operation.replace('-', ' ').toUpperCase();
}

/**
 * The catalog facts for a relation as written. A qualified name is looked up by `schema.name`; an
 * unqualified one matches every known relation of that name, since the caller's search_path decides
 * which one it is and a rule must not guess the harmless one.
 */
export function factsFor(request: DecisionRequest, relation: RelationName): RelationFacts[] {
  if (relation.schema !== undefined && relation.schema !== '') {
    const facts = request.relations[`${relation.schema}.${relation.name}`];
    return facts === undefined ? [] : [facts];
  }
  return Object.values(request.relations).filter((facts) => facts.name === relation.name);
}

/** `schema.name` of a relation's facts. */
export function factsKey(facts: RelationFacts): string {
  return `${facts.schema}.${facts.name}`;
}

/** Drops matches whose message repeats an earlier one (the analyser may report one thing twice, e.g. as a call and as an access). */
export function uniqueMatches(matches: RuleMatch[]): RuleMatch[] {
  if (matches.length < 2) return matches;
  const seen = new Set<string>();
  return matches.filter((m) => {
    if (seen.has(m.message)) return false;
    seen.add(m.message);
    return true;
  });
}

/** Whether the statement changes anything: rows, schema, privileges. */
export function changesData(statement: StatementAnalysis): boolean {
  return hasEffect(statement, 'write', 'ddl', 'privilege');
}

const nameSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** Lower-cased names of an allow list, for case-insensitive membership tests (built once per list). */
export function nameSet(names: readonly string[]): ReadonlySet<string> {
  let set = nameSets.get(names);
  if (set === undefined) nameSets.set(names, (set = new Set(names.map((n) => n.toLowerCase()))));
  return set;
}

/** The statement kind as SQL keywords, e.g. `create-table` → `CREATE TABLE`. */
export function kindText(statement: StatementAnalysis): string {
  return statement.kind.replaceAll('-', ' ').toUpperCase();
}

/** Why a statement is (or may be) more than a read, in a few words. */
export function whyNotReadOnly(statement: StatementAnalysis): string {
  const write = effectsOf(statement, 'write')[0];
  if (write !== undefined) return `it ${writeVerb(write.operation)} ${code(relationText(write.relation))}`;
  const opaque = effectsOf(statement, 'dynamic-sql').find((d) => d.opaque);
  if (opaque !== undefined) return 'it runs dynamic SQL whose text cannot be seen before it runs';
  const functions = effectsOf(statement, 'function');
  const unknown = functions.find((f) => f.class === 'unknown');
  if (unknown !== undefined) return `it calls ${unknown.operator === undefined ? code(`${unknown.name}()`) : `operator ${code(unknown.operator)}`}, whose effects are unknown`;
  const sideEffect = functions.find((f) => f.class !== 'safe');
  if (sideEffect !== undefined) return `it calls ${code(`${sideEffect.name}()`)}, which changes state`;
  const execute = effectsOf(statement, 'prepared').find((p) => p.operation === 'execute');
  if (execute !== undefined) return `it runs prepared statement ${code(execute.name ?? '?')}, whose text is not part of this statement`;
  const lock = effectsOf(statement, 'lock')[0];
  if (lock !== undefined) return `it locks ${lock.relations.map((r) => code(relationText(r))).join(', ')} (${code(lock.mode.toUpperCase())})`;
  if (statement.readOnly === 'unknown') return 'its effects cannot be determined';
  return `${code(kindText(statement))} changes the database or the session`;
}
