/**
 * Whether a statement can return a masked value in a result field that has no column origin.
 *
 * RowDescription names the table column behind a field only when the field is a plain column
 * reference (PostgreSQL follows subqueries and CTEs for that); expressions, aggregates, casts,
 * UNION branches, scalar subqueries, whole-row references and function results have none, so the
 * wire cannot tell whether such a field carries a masked column. This reads the parse tree instead:
 * the statement "feeds" an origin-less field when a masked column (by name) or a whole row of a
 * relation with masked columns appears in an output expression — a target list, RETURNING, a set
 * operation branch, a scalar subquery in the output — or reaches one through subqueries and CTEs
 * (aliases are followed). Columns only filtered on (WHERE, JOIN, GROUP BY, ORDER BY) feed nothing.
 *
 * Matching is by column name, not by resolved relation: a reference named like a masked column
 * counts, whichever table it belongs to. That over-approximates, never misses.
 */
import { as, isObject, list, nodeType, str, stringValue, type Fields } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';

export interface FeedQuestion {
  /** Names of masked columns (any relation the statement reads). */
  maskedColumns: ReadonlySet<string>;
  /** Names (relation names) of relations that have masked columns: their whole-row references feed. */
  maskedRelations: ReadonlySet<string>;
  /** The statement calls functions whose body is unknown (user functions): their results may carry anything, masked data included. */
  unknownFunctions: boolean;
}

type Mode = 'top' | 'sub' | 'branch' | 'sublink';

interface Names {
  /** Plain references keep the column origin: the wire masks them. */
  masked: Set<string>;
  /** Computed from masked data: any reference to them feeds an origin-less field. */
  fed: Set<string>;
  /** Relation aliases whose whole row carries masked data. */
  rows: Set<string>;
}

/** `true` when the statement (whole text of one statement) may put masked data in an origin-less field. */
export function feedsOriginless(sql: string, question: FeedQuestion): boolean {
  if (question.maskedColumns.size === 0 && question.maskedRelations.size === 0 && !question.unknownFunctions) return false;
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.value.length !== 1) return true;
  const statement = parsed.value[0]!.stmt;
  const names: Names = { masked: new Set(question.maskedColumns), fed: new Set(), rows: new Set(question.maskedRelations) };
  // Aliases discovered in one pass can matter to a part visited earlier: repeat until nothing grows.
  for (let pass = 0; pass < 10; pass++) {
    const before = names.masked.size + names.fed.size + names.rows.size;
    const walker = new Walker(names, question.unknownFunctions);
    walker.statement(statement);
    if (walker.fed) return true;
    if (names.masked.size + names.fed.size + names.rows.size === before) return false;
  }
  return true;
}

class Walker {
  fed = false;
  constructor(
    private readonly names: Names,
    private readonly unknownFunctions: boolean,
  ) {}

  statement(node: unknown): void {
    const type = nodeType(node);
    const f = as(node, type ?? '');
    if (!type || !f) return;
    switch (type) {
      case 'SelectStmt':
        return void this.select(f, 'top');
      case 'InsertStmt':
        this.withClause(f.withClause);
        if (f.selectStmt) this.select(fieldsOf(f.selectStmt, 'SelectStmt'), 'sub');
        this.relation(f.relation);
        return void this.targets(returning(f), 'top');
      case 'UpdateStmt':
        this.withClause(f.withClause);
        this.relation(f.relation);
        for (const item of list(f.fromClause)) this.from(item);
        return void this.targets(returning(f), 'top');
      case 'DeleteStmt':
        this.withClause(f.withClause);
        this.relation(f.relation);
        for (const item of list(f.usingClause)) this.from(item);
        return void this.targets(returning(f), 'top');
      case 'DeclareCursorStmt':
        return this.statement(f.query);
      case 'CopyStmt':
        // COPY's output carries no origins at all: every output column counts as origin-less.
        if (f.query) {
          const out = this.select(fieldsOf(f.query, 'SelectStmt'), 'branch');
          if (out.fed || out.masked) this.fed = true;
        }
        return;
      case 'ExecuteStmt':
        // The prepared body is not here (the door passes it instead when it knows it).
        this.fed = true;
        return;
      case 'CallStmt':
        if (this.unknownFunctions) this.fed = true;
        return;
      default:
        return;
    }
  }

  /** What a query (with its WITH clause, or a FROM item) exposes as rows, for write checks. */
  subquery(withClause: unknown, query: unknown, fromItem?: unknown): Output {
    this.withClause(withClause);
    if (fromItem !== undefined) this.from(fromItem);
    const select = fieldsOf(query, 'SelectStmt');
    return select ? this.select(select, 'sub') : { masked: false, fed: false };
  }

  /** SET-style assignments (UPDATE, MERGE … UPDATE): any value that carries masked data. */
  assignments(withClause: unknown, fromClause: unknown, targetList: unknown): Output {
    this.withClause(withClause);
    for (const item of list(fromClause)) this.from(item);
    const out: Output = { masked: false, fed: false };
    for (const item of list(targetList)) {
      const target = as(item, 'ResTarget');
      if (target && this.valueCarries(target.val)) out.fed = true;
    }
    return out;
  }

  /** Whether a value (plain reference or expression) carries masked data. */
  valueCarries(value: unknown): boolean {
    const result = this.target(value, 'sublink');
    return result.masked || result.fed || this.expression(value, 'sublink').fed;
  }

  private withClause(node: unknown): void {
    const w = fieldsOf(node, 'WithClause');
    for (const cte of list(w?.ctes)) {
      const c = as(cte, 'CommonTableExpr');
      if (!c) continue;
      const query = c.ctequery;
      const outputs = nodeType(query) === 'SelectStmt' ? this.select(as(query, 'SelectStmt'), 'sub') : this.dml(query);
      this.exposed(str(c.ctename), list(c.aliascolnames).map(stringValue), outputs);
    }
  }

  /** A writable CTE: its RETURNING list is what it exposes. */
  private dml(node: unknown): Output {
    const out: Output = { masked: false, fed: false };
    const type = nodeType(node);
    const f = type ? as(node, type) : undefined;
    if (!f) return out;
    this.relation(f.relation);
    return this.targets(returning(f), 'sub');
  }

  /** Visits a SELECT in a mode; returns whether what it exposes is masked (plain) or fed (computed). */
  private select(s: Fields | undefined, mode: Mode): Output {
    const out: Output = { masked: false, fed: false };
    if (!s) return out;
    this.withClause(s.withClause);
    if (s.op !== undefined && str(s.op) !== 'SETOP_NONE') {
      // A set operation's fields have no origin: its branches' plain references lose theirs.
      const branch = mode === 'sub' || mode === 'top' ? 'branch' : mode;
      for (const side of [s.larg, s.rarg]) merge(out, this.select(fieldsOf(side, 'SelectStmt'), branch));
      if (out.masked || out.fed) {
        if (mode === 'top') this.fed = true;
        out.fed = true;
      }
      return out;
    }
    for (const item of list(s.fromClause)) this.from(item);
    for (const row of list(s.valuesLists)) for (const value of list(row)) merge(out, this.flag(this.expression(value, mode), mode));
    merge(out, this.targets(s.targetList, mode));
    return out;
  }

  private targets(targetList: unknown, mode: Mode): Output {
    const out: Output = { masked: false, fed: false };
    for (const item of list(targetList)) {
      const target = as(item, 'ResTarget');
      if (!target) continue;
      const result = this.target(target.val, mode);
      merge(out, result);
      const alias = str(target.name) ?? figureName(target.val);
      if (alias !== undefined && mode === 'sub') {
        if (result.fed) this.names.fed.add(alias);
        else if (result.masked) this.names.masked.add(alias);
      }
    }
    return out;
  }

  /** One output value: a plain column reference keeps its origin only at the top or in a subquery. */
  private target(value: unknown, mode: Mode): Output {
    const ref = as(value, 'ColumnRef');
    if (ref) {
      const fields = list(ref.fields);
      const last = fields[fields.length - 1];
      if (nodeType(last) === 'A_Star') {
        // `*` and `t.*` expand to plain references, except to computed columns of subqueries and CTEs.
        const fed = this.names.fed.size > 0 || (this.unknownFunctions && mode !== 'sublink');
        return this.flag({ masked: true, fed }, mode);
      }
      const name = stringValue(last);
      if (fields.length === 1 && name !== undefined && this.names.rows.has(name)) return this.flag({ masked: false, fed: true }, mode); // whole row
      if (name !== undefined && this.names.fed.has(name)) return this.flag({ masked: false, fed: true }, mode);
      if (name !== undefined && this.names.masked.has(name)) {
        return mode === 'branch' || mode === 'sublink' ? this.flag({ masked: false, fed: true }, mode) : { masked: true, fed: false };
      }
      return { masked: false, fed: false };
    }
    return this.flag(this.expression(value, mode), mode);
  }

  /** An expression: any masked or computed-from-masked reference inside it feeds its (origin-less) field. */
  private expression(value: unknown, mode: Mode): Output {
    let fed = false;
    const visit = (node: unknown): void => {
      if (fed || !isObject(node)) {
        if (Array.isArray(node)) node.forEach(visit);
        return;
      }
      const ref = as(node, 'ColumnRef');
      if (ref) {
        const fields = list(ref.fields);
        const last = fields[fields.length - 1];
        const name = stringValue(last);
        if (nodeType(last) === 'A_Star' || (name !== undefined && (this.names.masked.has(name) || this.names.fed.has(name) || this.names.rows.has(name)))) fed = true;
        return;
      }
      const sublink = as(node, 'SubLink');
      if (sublink) {
        const inner = this.select(fieldsOf(sublink.subselect, 'SelectStmt'), 'sublink');
        if (inner.masked || inner.fed) fed = true;
        return;
      }
      if (as(node, 'FuncCall') && this.unknownFunctions) {
        fed = true;
        return;
      }
      for (const child of Object.values(node)) visit(child);
    };
    visit(value);
    return { masked: false, fed };
  }

  private flag(output: Output, mode: Mode): Output {
    if (output.fed && mode === 'top') this.fed = true;
    return output;
  }

  private from(item: unknown): void {
    const type = nodeType(item);
    const f = type ? as(item, type) : undefined;
    if (!f) return;
    switch (type) {
      case 'RangeVar':
        return this.relation(item);
      case 'JoinExpr':
        this.from(f.larg);
        this.from(f.rarg);
        return;
      case 'RangeSubselect': {
        const outputs = this.select(fieldsOf(f.subquery, 'SelectStmt'), 'sub');
        const alias = fieldsOf(f.alias, 'Alias');
        this.exposed(str(alias?.aliasname), list(alias?.colnames).map(stringValue), outputs);
        return;
      }
      case 'RangeFunction':
        // A function in FROM returns fields without origin; a user function may read anything.
        if (this.unknownFunctions) this.fed = true;
        else for (const fn of list(f.functions)) if (this.expression(fn, 'sublink').fed) this.fed = true;
        return;
      default:
        return;
    }
  }

  /** A subquery or CTE's alias and column aliases: renamed outputs carry what the outputs carried. */
  private exposed(alias: string | undefined, columns: (string | undefined)[], outputs: Output): void {
    if (!outputs.masked && !outputs.fed) return;
    if (alias !== undefined) this.names.rows.add(alias);
    for (const column of columns) if (column !== undefined) (outputs.fed ? this.names.fed : this.names.masked).add(column);
  }

  private relation(node: unknown): void {
    const rv = fieldsOf(node, 'RangeVar');
    if (!rv) return;
    const name = str(rv.relname);
    const alias = str(fieldsOf(rv.alias, 'Alias')?.aliasname);
    if (name !== undefined && alias !== undefined && this.names.rows.has(name)) this.names.rows.add(alias);
  }
}

/** A node's fields whether it came wrapped (`{ Type: {…} }`) or unwrapped (where the grammar fixes its type). */
function fieldsOf(node: unknown, type: string): Fields | undefined {
  return as(node, type) ?? (isObject(node) && nodeType(node) === undefined ? node : undefined);
}

/** RETURNING items: `returningClause.exprs` (libpg-query 18) or `returningList`. */
function returning(f: Fields): unknown[] {
  const clause = fieldsOf(f.returningClause, 'ReturningClause');
  return clause ? list(clause.exprs) : list(f.returningList);
}

interface Output {
  /** Exposes a masked column as a plain reference (origin kept). */
  masked: boolean;
  /** Exposes a value computed from masked data (no origin). */
  fed: boolean;
}

function merge(into: Output, from: Output): void {
  into.masked ||= from.masked;
  into.fed ||= from.fed;
}

/** PostgreSQL's name for an unaliased output column (FigureColname), for the cases that matter here. */
function figureName(value: unknown): string | undefined {
  const ref = as(value, 'ColumnRef');
  if (ref) return stringValue(list(ref.fields).at(-1));
  const call = as(value, 'FuncCall');
  if (call) return stringValue(list(call.funcname).at(-1));
  const cast = as(value, 'TypeCast');
  if (cast) return figureName(cast.arg);
  return undefined;
}

/**
 * Whether a write moves masked data into the rows it writes: a masked column (or a value computed
 * from one, or a whole row) in an INSERT's rows, an UPDATE's SET or MERGE's actions, or the query of
 * CREATE TABLE AS / SELECT INTO. A masked column only filtered on (WHERE) moves nothing.
 */
export function copiesMasked(sql: string, question: FeedQuestion): boolean {
  if (question.maskedColumns.size === 0 && question.maskedRelations.size === 0 && !question.unknownFunctions) return false;
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.value.length !== 1) return true;
  const node = parsed.value[0]!.stmt;
  const type = nodeType(node);
  const f = type ? as(node, type) : undefined;
  if (!f) return false;
  const names: Names = { masked: new Set(question.maskedColumns), fed: new Set(), rows: new Set(question.maskedRelations) };
  const walker = new Walker(names, question.unknownFunctions);
  const carries = (o: Output) => o.masked || o.fed;
  switch (type) {
    case 'InsertStmt':
      return carries(walker.subquery(f.withClause, f.selectStmt));
    case 'CreateTableAsStmt':
      return carries(walker.subquery(undefined, f.query));
    case 'SelectStmt':
      return f.intoClause !== undefined && carries(walker.subquery(undefined, node));
    case 'UpdateStmt':
      return carries(walker.assignments(f.withClause, f.fromClause, f.targetList));
    case 'MergeStmt': {
      // The source's aliases (a subquery computing from masked columns) become known first.
      walker.subquery(f.withClause, undefined, f.sourceRelation);
      const actions = list(f.mergeWhenClauses).map((c) => as(c, 'MergeWhenClause'));
      return actions.some((a) => a !== undefined && (carries(walker.assignments(undefined, undefined, a.targetList)) || list(a.values).some((v) => walker.valueCarries(v))));
    }
    default:
      return false;
  }
}
