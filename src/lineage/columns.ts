/**
 * Column-level lineage from a statement's parse tree: for each column a statement writes, the
 * columns it was computed from. Derived for INSERT … SELECT / VALUES (with a column list), CREATE
 * TABLE AS and SELECT INTO, UPDATE … SET … FROM, MERGE and COPY FROM; anything else yields no
 * column edges (the table-level edges still stand).
 *
 * Without a live catalog some references cannot be resolved: an unqualified column with several
 * tables in scope, `*`, and INSERT without a column list. Those are left out rather than guessed.
 * Works on redacted text too: literals are `$n` parameters, which parse the same.
 */
import { as, body, isObject, list, nodeType, relationOf, str, stringValue, type Fields } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';

export type Transformation = 'identity' | 'transformation' | 'aggregation';

/** A column a written column was computed from. `table` is as written (or `copy:stdin`, `copy:file` …). */
export interface ColumnSource {
  table: string;
  column: string;
  transformation: Transformation;
}

/** For each written table (as written: `schema.table` or `table`), each target column's sources. */
export type ColumnLineage = Record<string, Record<string, ColumnSource[]>>;

/** A relation in scope: a table, or a subquery / CTE whose output columns are known. */
type Source = { kind: 'table'; table: string } | { kind: 'derived'; columns: Map<string, ColumnSource[]> };

interface Scope {
  relations: Map<string, Source>;
  ctes: Map<string, Source>;
  outer?: Scope;
}

interface Output {
  name: string;
  sources: ColumnSource[];
}

const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'percentile_cont', 'percentile_disc', 'mode', 'xmlagg', 'range_agg', 'range_intersect_agg',
]);

function tableName(rv: Fields): string {
  const rel = relationOf(rv);
  return rel.schema ? `${rel.schema}.${rel.name}` : rel.name;
}

function emptyScope(outer?: Scope): Scope {
  return { relations: new Map(), ctes: new Map(outer?.ctes ?? []), ...(outer ? { outer } : {}) };
}

/** Adds a FROM item (table, join, subquery) to the scope. */
function addFrom(item: unknown, scope: Scope): void {
  const type = nodeType(item);
  const f = body(item);
  if (!f) return;
  if (type === 'RangeVar') {
    const alias = str(as(f.alias, 'Alias')?.aliasname) ?? str(isObject(f.alias) ? f.alias.aliasname : undefined);
    const name = str(f.relname) ?? '';
    const cte = f.schemaname === undefined ? scope.ctes.get(name) : undefined;
    scope.relations.set(alias ?? name, cte ?? { kind: 'table', table: tableName(f) });
  } else if (type === 'JoinExpr') {
    addFrom(f.larg, scope);
    addFrom(f.rarg, scope);
  } else if (type === 'RangeSubselect') {
    const alias = str(isObject(f.alias) ? f.alias.aliasname : undefined);
    if (alias) scope.relations.set(alias, derived(selectOutputs(f.subquery, scope)));
  }
}

function derived(outputs: Output[]): Source {
  return { kind: 'derived', columns: new Map(outputs.map((o) => [o.name, o.sources])) };
}

function aliasOf(f: Fields): string | undefined {
  return str(isObject(f.alias) ? f.alias.aliasname : undefined);
}

/** Registers the WITH clause's CTEs (each visible to the ones after it and to the statement). */
function addCtes(withClause: unknown, scope: Scope): void {
  const w = as(withClause, 'WithClause') ?? (isObject(withClause) ? withClause : undefined);
  for (const item of list(w?.ctes)) {
    const cte = as(item, 'CommonTableExpr');
    const name = str(cte?.ctename);
    if (!cte || !name) continue;
    const outputs = nodeType(cte.ctequery) === 'SelectStmt' ? selectOutputs(cte.ctequery, scope) : [];
    const colnames = list(cte.aliascolnames).map(stringValue);
    scope.ctes.set(name, derived(outputs.map((o, i) => ({ name: colnames[i] ?? o.name, sources: o.sources }))));
  }
}

/** Resolves a ColumnRef's fields to the columns it reads. */
function resolve(fields: unknown[], scope: Scope | undefined): ColumnSource[] {
  if (!scope) return [];
  const parts = fields.map(stringValue);
  if (parts.some((p) => p === undefined)) return []; // `*` or `t.*`: unknown without a catalog
  const column = parts[parts.length - 1]!;
  const lookup = (source: Source | undefined): ColumnSource[] | undefined => {
    if (!source) return undefined;
    if (source.kind === 'table') return [{ table: source.table, column, transformation: 'identity' }];
    return source.columns.get(column);
  };
  if (parts.length >= 2) {
    const qualifier = parts[parts.length - 2]!;
    const direct = lookup(scope.relations.get(qualifier));
    if (direct) return direct;
    // schema.table.column written in full
    if (parts.length === 3) {
      const full = `${parts[0]}.${qualifier}`;
      for (const source of scope.relations.values()) if (source.kind === 'table' && source.table === full) return lookup(source)!;
    }
    return resolve(fields, scope.outer);
  }
  const candidates = [...scope.relations.values()];
  const derivedHits = candidates.filter((s) => s.kind === 'derived' && s.columns.has(column));
  if (derivedHits.length === 1) return lookup(derivedHits[0])!;
  if (candidates.length === 1) return lookup(candidates[0]) ?? [];
  if (candidates.length === 0) return resolve(fields, scope.outer);
  return []; // ambiguous without a catalog
}

/** Every column an expression reads, and how the value relates to them. */
function expressionSources(expr: unknown, scope: Scope): ColumnSource[] {
  const ref = as(expr, 'ColumnRef');
  if (ref) return resolve(list(ref.fields), scope);
  const found: ColumnSource[] = [];
  let aggregate = false;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    const type = nodeType(node);
    if (type === 'ColumnRef') {
      found.push(...resolve(list((node.ColumnRef as Fields).fields), scope));
      return;
    }
    if (type === 'SubLink') {
      const sub = (node.SubLink as Fields).subselect;
      for (const o of selectOutputs(sub, scope)) found.push(...o.sources);
      return;
    }
    if (type === 'FuncCall') {
      const call = node.FuncCall as Fields;
      const name = list(call.funcname).map(stringValue).at(-1);
      if ((name && AGGREGATES.has(name)) || call.agg_star || call.over) aggregate = true;
    }
    for (const key in node) walk(node[key]);
  };
  walk(expr);
  const kind: Transformation = aggregate ? 'aggregation' : 'transformation';
  return dedupe(found.map((s) => ({ ...s, transformation: kind })));
}

function dedupe(sources: ColumnSource[]): ColumnSource[] {
  const seen = new Map<string, ColumnSource>();
  for (const s of sources) seen.set(`${s.table}\u0000${s.column}\u0000${s.transformation}`, s);
  return [...seen.values()];
}

function outputName(target: Fields, index: number): string {
  const name = str(target.name);
  if (name) return name;
  const ref = as(target.val, 'ColumnRef');
  const last = ref ? stringValue(list(ref.fields).at(-1)) : undefined;
  if (last) return last;
  const call = as(target.val, 'FuncCall');
  const fn = call ? stringValue(list(call.funcname).at(-1)) : undefined;
  return fn ?? `?column?${index + 1}`;
}

/** The output columns of a SELECT (or set operation, or VALUES) and where each comes from. */
function selectOutputs(node: unknown, outer: Scope | undefined): Output[] {
  const s = as(node, 'SelectStmt') ?? (isObject(node) && !nodeType(node) ? node : undefined);
  if (!s) return [];
  const scope = emptyScope(outer);
  if (s.withClause) addCtes(s.withClause, scope);
  if (s.op && s.op !== 'SETOP_NONE') {
    const left = selectOutputs(s.larg ? { SelectStmt: s.larg } : undefined, scope);
    const right = selectOutputs(s.rarg ? { SelectStmt: s.rarg } : undefined, scope);
    return left.map((o, i) => ({ name: o.name, sources: dedupe([...o.sources, ...(right[i]?.sources ?? [])].map((x) => ({ ...x, transformation: 'transformation' as const }))) }));
  }
  if (list(s.valuesLists).length > 0) {
    const rows = list(s.valuesLists).map((row) => list(row));
    const width = Math.max(0, ...rows.map((r) => r.length));
    return Array.from({ length: width }, (_, i) => ({
      name: `column${i + 1}`,
      sources: dedupe(rows.flatMap((r) => expressionSources(r[i], scope))),
    }));
  }
  for (const item of list(s.fromClause)) addFrom(item, scope);
  return list(s.targetList).flatMap((item, i) => {
    const target = as(item, 'ResTarget');
    if (!target) return [];
    if (as(target.val, 'ColumnRef') && list((as(target.val, 'ColumnRef') as Fields).fields).some((f) => nodeType(f) === 'A_Star')) return [];
    return [{ name: outputName(target, i), sources: expressionSources(target.val, scope) }];
  });
}

function add(out: ColumnLineage, table: string, column: string, sources: ColumnSource[]): void {
  if (sources.length === 0) return;
  const columns = (out[table] ??= {});
  columns[column] = dedupe([...(columns[column] ?? []), ...sources]);
}

function insertLineage(f: Fields, out: ColumnLineage): void {
  const target = as(f.relation, 'RangeVar') ?? (f.relation as Fields);
  const table = tableName(target);
  const scope = emptyScope();
  if (f.withClause) addCtes(f.withClause, scope);
  const cols = list(f.cols).map((c) => str(as(c, 'ResTarget')?.name));
  const outputs = f.selectStmt ? selectOutputs(f.selectStmt, scope) : [];
  if (cols.length > 0) cols.forEach((col, i) => col && add(out, table, col, outputs[i]?.sources ?? []));
  const conflict = as(f.onConflictClause, 'OnConflictClause') ?? (isObject(f.onConflictClause) ? f.onConflictClause : undefined);
  if (conflict && list(conflict.targetList).length > 0) {
    const excluded = new Map(cols.map((c, i) => [c ?? '', outputs[i]?.sources ?? []]));
    const updateScope = emptyScope(scope);
    updateScope.relations.set(aliasOf(target) ?? str(target.relname) ?? table, { kind: 'table', table });
    updateScope.relations.set('excluded', { kind: 'derived', columns: excluded });
    for (const item of list(conflict.targetList)) {
      const t = as(item, 'ResTarget');
      const col = str(t?.name);
      if (t && col) add(out, table, col, expressionSources(t.val, updateScope));
    }
  }
}

function updateLineage(f: Fields, out: ColumnLineage): void {
  const target = as(f.relation, 'RangeVar') ?? (f.relation as Fields);
  const table = tableName(target);
  const scope = emptyScope();
  if (f.withClause) addCtes(f.withClause, scope);
  scope.relations.set(aliasOf(target) ?? str(target.relname) ?? table, { kind: 'table', table });
  for (const item of list(f.fromClause)) addFrom(item, scope);
  for (const item of list(f.targetList)) {
    const t = as(item, 'ResTarget');
    const col = str(t?.name);
    if (!t || !col) continue;
    const multi = as(t.val, 'MultiAssignRef');
    add(out, table, col, expressionSources(multi ? multi.source : t.val, scope));
  }
}

function mergeLineage(f: Fields, out: ColumnLineage): void {
  const target = as(f.relation, 'RangeVar') ?? (f.relation as Fields);
  const table = tableName(target);
  const scope = emptyScope();
  if (f.withClause) addCtes(f.withClause, scope);
  scope.relations.set(aliasOf(target) ?? str(target.relname) ?? table, { kind: 'table', table });
  addFrom(f.sourceRelation, scope);
  for (const item of list(f.mergeWhenClauses)) {
    const when = as(item, 'MergeWhenClause');
    if (!when) continue;
    const targets = list(when.targetList).map((t) => as(t, 'ResTarget'));
    if (when.commandType === 'CMD_UPDATE') {
      for (const t of targets) if (t && str(t.name)) add(out, table, str(t.name)!, expressionSources(t.val, scope));
    } else if (when.commandType === 'CMD_INSERT') {
      const values = list(when.values);
      targets.forEach((t, i) => t && str(t.name) && add(out, table, str(t.name)!, expressionSources(values[i], scope)));
    }
  }
}

function intoLineage(into: Fields, query: unknown, out: ColumnLineage): void {
  const rel = as(into.rel, 'RangeVar') ?? (into.rel as Fields);
  const table = tableName(rel);
  const names = list(into.colNames).map(stringValue);
  selectOutputs(query, undefined).forEach((o, i) => add(out, table, names[i] ?? o.name, o.sources));
}

function copyLineage(f: Fields, out: ColumnLineage): void {
  if (!f.is_from || !f.relation) return;
  const table = tableName(as(f.relation, 'RangeVar') ?? (f.relation as Fields));
  const source = f.is_program ? 'copy:program' : f.filename ? 'copy:file' : 'copy:stdin';
  for (const col of list(f.attlist).map(stringValue)) if (col) add(out, table, col, [{ table: source, column: col, transformation: 'identity' }]);
}

/** Column lineage of one statement's text; empty when nothing is derivable or the text does not parse. */
export function columnLineage(sql: string): ColumnLineage {
  const parsed = parseSql(sql);
  if (!parsed.ok) return {};
  const out: ColumnLineage = {};
  for (const raw of parsed.value) {
    const type = nodeType(raw.stmt);
    const f = body(raw.stmt);
    if (!f) continue;
    if (type === 'InsertStmt') insertLineage(f, out);
    else if (type === 'UpdateStmt') updateLineage(f, out);
    else if (type === 'MergeStmt') mergeLineage(f, out);
    else if (type === 'CopyStmt') copyLineage(f, out);
    else if (type === 'CreateTableAsStmt' && isObject(f.into)) intoLineage(f.into, f.query, out);
    else if (type === 'SelectStmt' && isObject(f.intoClause)) {
      const { intoClause, ...query } = f;
      intoLineage(intoClause as Fields, { SelectStmt: query }, out);
    }
  }
  return out;
}
