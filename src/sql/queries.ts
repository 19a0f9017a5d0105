/**
 * SELECT, INSERT, UPDATE, DELETE and MERGE: relations read (FROM, joins, subqueries, CTEs,
 * functions in FROM), relations written with their WHERE state, writable CTEs at any depth, locking
 * clauses, LIMIT, SELECT … INTO.
 */
import { as, constantOf, list, names, qualifiedName, relationOf, relationText, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { classifyFunction } from './builtins/index.js';
import { isPgSettings, pgSettingsUpdate } from './config.js';
import { Scope, type ScopeEntry } from './scope.js';
import { whereState } from './tautology.js';
import type { RelationName, StatementAnalysis, WriteEffect, WriteOperation } from './types.js';

function withClause(w: unknown, a: Analyzer): void {
  if (!w) return;
  const clause = w as Fields;
  const ctes = list(clause.ctes).map((c) => as(c, 'CommonTableExpr')).filter((c): c is Fields => !!c);
  const scope = a.state.scope;
  // A recursive WITH sees all its names; otherwise each CTE sees only the ones before it.
  if (clause.recursive) for (const c of ctes) scope.addCte(str(c.ctename) ?? '');
  for (const c of ctes) {
    a.with({ inCte: true }, () => a.query(c.ctequery));
    scope.addCte(str(c.ctename) ?? '');
  }
}

function addEntry(a: Analyzer, entry: ScopeEntry): void {
  a.state.scope.entries.push(entry);
}

function aliasOf(node: Fields): string | undefined {
  return str((node.alias as Fields | undefined)?.aliasname);
}

function fromRangeVar(rv: Fields, a: Analyzer): void {
  const relation = relationOf(rv);
  const refName = aliasOf(rv) ?? relation.name;
  if (!relation.qualified && a.state.scope.isCte(relation.name)) {
    addEntry(a, { refName });
    return;
  }
  const read = a.add({ type: 'read', relation });
  addEntry(a, { refName, relation, read });
}

function fromFunction(rf: Fields, a: Analyzer): void {
  let first: string | undefined;
  for (const item of list(rf.functions)) {
    const [call, columnDefs] = list(item);
    a.expr(call, 'from');
    a.expr(columnDefs, 'from');
    const fn = as(call, 'FuncCall');
    if (!fn) continue;
    const { schema, name } = qualifiedName(names(fn.funcname));
    first ??= name;
    // A user function in FROM may read anything; a builtin one (generate_series…) reads no relation.
    if (classifyFunction(name, schema).class === 'unknown') {
      const relation: RelationName = { name, qualified: schema !== undefined };
      if (schema !== undefined) relation.schema = schema;
      a.add({ type: 'read', relation, viaFunction: relationText(relation) });
    }
  }
  addEntry(a, { refName: aliasOf(rf) ?? first ?? '' });
}

/** One FROM item; relations become scope entries that column references resolve against. */
export function fromItem(node: unknown, a: Analyzer): void {
  const rv = as(node, 'RangeVar');
  if (rv) return fromRangeVar(rv, a);
  const join = as(node, 'JoinExpr');
  if (join) {
    fromItem(join.larg, a);
    fromItem(join.rarg, a);
    a.expr(join.quals, 'join');
    return;
  }
  const sub = as(node, 'RangeSubselect');
  if (sub) {
    a.query(sub.subquery);
    addEntry(a, { refName: aliasOf(sub) ?? '' });
    return;
  }
  const rf = as(node, 'RangeFunction');
  if (rf) return fromFunction(rf, a);
  const sample = as(node, 'RangeTableSample');
  if (sample) {
    fromItem(sample.relation, a);
    a.expr([sample.args, sample.repeatable], 'from');
    return;
  }
  a.expr(node, 'from');
}

function fromList(items: unknown, a: Analyzer): void {
  for (const item of list(items)) fromItem(item, a);
}

const LOCK_MODES: Readonly<Record<string, string>> = {
  LCS_FORUPDATE: 'for update',
  LCS_FORNOKEYUPDATE: 'for no key update',
  LCS_FORSHARE: 'for share',
  LCS_FORKEYSHARE: 'for key share',
};

function lockingClauses(clauses: unknown, a: Analyzer): void {
  for (const item of list(clauses)) {
    const lc = as(item, 'LockingClause');
    if (!lc) continue;
    const named = list(lc.lockedRels).map((r) => as(r, 'RangeVar')).filter((r): r is Fields => !!r);
    const relations = named.length
      ? named.map(relationOf)
      : a.state.scope.entries.flatMap((e) => (e.relation ? [e.relation] : []));
    a.add({ type: 'lock', mode: LOCK_MODES[str(lc.strength) ?? ''] ?? 'for update', relations });
  }
}

function limitOf(count: unknown, a: Analyzer): StatementAnalysis['limit'] {
  const c = as(count, 'A_Const');
  if (c) {
    a.readsLiteral();
    const k = constantOf(c);
    if (k.kind === 'null') return 'all';
    if (k.kind === 'number') return k.value;
    return 'expression';
  }
  if (as(count, 'ParamRef')) return 'parameter';
  return 'expression';
}

function intoClause(into: unknown, a: Analyzer): void {
  const rel = (into as Fields | undefined)?.rel as Fields | undefined;
  if (!rel) return;
  const relation = relationOf(rel);
  a.add({ type: 'write', relation, operation: 'select-into' });
  a.add({ type: 'ddl', operation: 'create', objectKind: 'table', names: [relationText(relation)], relation });
}

/** A SelectStmt's fields (set operations nest them unwrapped in larg/rarg). */
export function selectStmt(f: Fields, a: Analyzer): void {
  const top = a.state.top;
  withClause(f.withClause, a);
  if (f.op && f.op !== 'SETOP_NONE') {
    for (const side of [f.larg, f.rarg]) {
      if (side) a.with({ scope: new Scope(a.state.scope), top: false }, () => selectStmt(side as Fields, a));
    }
  }
  a.with({ top: false }, () => {
    a.expr(f.valuesLists, 'values');
    fromList(f.fromClause, a);
    a.expr(f.targetList, 'target');
    a.expr(f.whereClause, 'where');
    a.expr(f.groupClause, 'group');
    a.expr(f.havingClause, 'having');
    a.expr(f.windowClause, 'other');
    a.expr(f.distinctClause, 'other');
    a.expr(f.sortClause, 'order');
    a.expr(f.limitOffset, 'other');
    a.expr(f.limitCount, 'other');
  });
  if (top && f.limitCount) a.limit = limitOf(f.limitCount, a);
  lockingClauses(f.lockingClause, a);
  intoClause(f.intoClause, a);
}

/** The write target: a scope entry whose read effect appears once one of its columns is referenced. */
function target(rv: Fields, a: Analyzer): RelationName {
  const relation = relationOf(rv);
  addEntry(a, {
    refName: aliasOf(rv) ?? relation.name,
    relation,
    createRead: () => a.add({ type: 'read', relation }),
  });
  return relation;
}

function returning(f: Fields, a: Analyzer): boolean {
  const exprs = f.returningList ?? (f.returningClause as Fields | undefined)?.exprs;
  if (!exprs) return false;
  a.expr(exprs, 'target');
  return true;
}

function targetNames(targets: unknown): string[] {
  const out: string[] = [];
  for (const t of list(targets)) {
    const name = str(as(t, 'ResTarget')?.name);
    if (name !== undefined && !out.includes(name)) out.push(name);
  }
  return out;
}

function write(
  a: Analyzer,
  relation: RelationName,
  operation: WriteOperation,
  extra: Partial<Pick<WriteEffect, 'where' | 'columns' | 'returning'>>,
): WriteEffect {
  const effect: WriteEffect = { type: 'write', relation, operation };
  if (extra.where !== undefined) effect.where = extra.where;
  if (extra.columns && extra.columns.length > 0) effect.columns = extra.columns;
  return a.add(effect);
}

function insertStmt(f: Fields, a: Analyzer): void {
  withClause(f.withClause, a);
  const rv = f.relation as Fields;
  const conflict = f.onConflictClause as Fields | undefined;
  const operation = str(conflict?.action) === 'ONCONFLICT_UPDATE' ? 'upsert' : 'insert';
  const effect = write(a, relationOf(rv), operation, { columns: targetNames(f.cols) });
  a.query(f.selectStmt);
  target(rv, a);
  if (conflict) {
    addEntry(a, { refName: 'excluded' });
    a.expr(conflict.infer, 'other');
    a.expr(conflict.targetList, 'set');
    a.expr(conflict.whereClause, 'where');
  }
  if (returning(f, a)) effect.returning = true;
}

function updateStmt(f: Fields, a: Analyzer): void {
  withClause(f.withClause, a);
  const rv = f.relation as Fields;
  const relation = relationOf(rv);
  const effect = write(a, relation, 'update', {
    where: whereState(f.whereClause, a),
    columns: targetNames(f.targetList),
  });
  if (isPgSettings(relation)) pgSettingsUpdate(f, a);
  target(rv, a);
  fromList(f.fromClause, a);
  a.expr(f.targetList, 'set');
  a.expr(f.whereClause, 'where');
  if (returning(f, a)) effect.returning = true;
}

function deleteStmt(f: Fields, a: Analyzer): void {
  withClause(f.withClause, a);
  const rv = f.relation as Fields;
  const effect = write(a, relationOf(rv), 'delete', { where: whereState(f.whereClause, a) });
  target(rv, a);
  fromList(f.usingClause, a);
  a.expr(f.whereClause, 'where');
  if (returning(f, a)) effect.returning = true;
}

function mergeStmt(f: Fields, a: Analyzer): void {
  withClause(f.withClause, a);
  const rv = f.relation as Fields;
  const whens = list(f.mergeWhenClauses).map((w) => as(w, 'MergeWhenClause')).filter((w): w is Fields => !!w);
  const columns = [...new Set(whens.flatMap((w) => targetNames(w.targetList)))];
  const effect = write(a, relationOf(rv), 'merge', { where: whereState(f.joinCondition, a), columns });
  target(rv, a);
  fromItem(f.sourceRelation, a);
  a.expr(f.joinCondition, 'join');
  for (const w of whens) {
    a.expr(w.condition, 'where');
    a.expr(w.targetList, 'set');
    a.expr(w.values, 'values');
  }
  if (returning(f, a)) effect.returning = true;
}

export const queryHandlers: Readonly<Record<string, Handler>> = {
  SelectStmt: selectStmt,
  InsertStmt: insertStmt,
  UpdateStmt: updateStmt,
  DeleteStmt: deleteStmt,
  MergeStmt: mergeStmt,
};
