/**
 * Whether a WHERE clause is trivially true: `1=1`, `true`, `NOT false`, `id = id`, `x OR true`,
 * `'a'='a'`, `1<2`, `x IS NULL OR x IS NOT NULL`… Constant expressions are evaluated with SQL's
 * three-valued logic, conservatively: anything not understood is unknown, which never makes a
 * tautology. A result that depends on a literal's value marks the analysis literal-sensitive.
 */
import { as, constantOf, list, names, str, type Fields } from './ast.js';
import type { Analyzer } from './analyzer.js';
import type { WhereState } from './types.js';

const UNKNOWN = Symbol('unknown');
type Scalar = boolean | number | string | null;
/**
 * A value, and whether it depends on literals: `{ v: UNKNOWN, literal: true }` is a value other
 * literals could make known (`'abc'::boolean`), `{ v: UNKNOWN, literal: false }` one that no literal
 * decides (a column, a function call).
 */
interface Value {
  v: Scalar | typeof UNKNOWN;
  literal: boolean;
}

const opaque: Value = { v: UNKNOWN, literal: false };
const isOpaque = (x: Value) => x.v === UNKNOWN && !x.literal;

export function whereState(where: unknown, a: Analyzer): WhereState {
  if (where === undefined || where === null) return 'none';
  const result = toBool(evaluate(where, a));
  if (result.literal) a.readsLiteral();
  return result.v === true ? 'tautology' : 'present';
}

/** A value in a boolean context: an untyped string literal such as `'t'` or `'on'` is read as a boolean. */
function toBool(x: Value): Value {
  if (typeof x.v === 'string') {
    const b = parseBool(x.v);
    return { v: b === undefined ? UNKNOWN : b, literal: x.literal };
  }
  if (typeof x.v === 'number') return { v: UNKNOWN, literal: x.literal };
  return x;
}

function evaluate(node: unknown, a: Analyzer): Value {
  const c = as(node, 'A_Const');
  if (c) {
    const k = constantOf(c);
    if (k.kind === 'bits') return { v: UNKNOWN, literal: true };
    return { v: k.kind === 'null' ? null : k.value, literal: true };
  }
  const cast = as(node, 'TypeCast');
  if (cast) return castValue(evaluate(cast.arg, a), names((cast.typeName as Fields | undefined)?.names));
  const bool = as(node, 'BoolExpr');
  if (bool) return boolExpr(str(bool.boolop), list(bool.args), a);
  const expr = as(node, 'A_Expr');
  if (expr) return operator(expr, a);
  const nullTest = as(node, 'NullTest');
  if (nullTest) {
    const arg = evaluate(nullTest.arg, a);
    if (arg.v === UNKNOWN) return arg;
    const isNull = arg.v === null;
    return { v: str(nullTest.nulltesttype) === 'IS_NULL' ? isNull : !isNull, literal: arg.literal };
  }
  const boolTest = as(node, 'BooleanTest');
  if (boolTest) return booleanTest(str(boolTest.booltesttype), toBool(evaluate(boolTest.arg, a)));
  const sublink = as(node, 'SubLink');
  if (sublink && str(sublink.subLinkType) === 'EXISTS_SUBLINK') {
    const sub = as(sublink.subselect, 'SelectStmt');
    const simple = sub && (sub.op === undefined || sub.op === 'SETOP_NONE') && !sub.valuesLists;
    // EXISTS (SELECT 1) with no FROM, WHERE, GROUP BY, HAVING or LIMIT always has its one row.
    if (simple && !sub.fromClause && !sub.whereClause && !sub.havingClause && !sub.limitCount && !sub.groupClause) {
      return { v: true, literal: false };
    }
  }
  return opaque;
}

function castValue(value: Value, typeNames: string[]): Value {
  if (value.v === UNKNOWN || value.v === null) return value;
  const literal = value.literal;
  const type = typeNames[typeNames.length - 1];
  if (type === 'bool' || type === 'boolean') {
    if (typeof value.v === 'boolean') return value;
    const b = typeof value.v === 'string' ? parseBool(value.v) : undefined;
    return { v: b === undefined ? UNKNOWN : b, literal };
  }
  if (type && /^(int[248]?|integer|smallint|bigint|numeric|decimal|float[48]?|real|double)$/.test(type)) {
    const n = typeof value.v === 'number' ? value.v : typeof value.v === 'string' ? numeric(value.v) : null;
    return { v: n === null ? UNKNOWN : n, literal };
  }
  if (type === 'text' || type === 'varchar' || type === 'bpchar') return { v: String(value.v), literal };
  return { v: UNKNOWN, literal };
}

function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t.length === 0) return undefined;
  if (t === 'on' || t === '1' || 'true'.startsWith(t) || 'yes'.startsWith(t)) return true;
  if (t === 'off' || t === '0' || 'false'.startsWith(t) || 'no'.startsWith(t)) return false;
  return undefined;
}

function boolExpr(op: string | undefined, args: unknown[], a: Analyzer): Value {
  const values = args.map((x) => toBool(evaluate(x, a)));
  const literal = values.some((v) => v.literal);
  if (op === 'NOT_EXPR') {
    const v = values[0]?.v;
    if (v === undefined || v === UNKNOWN || typeof v === 'number' || typeof v === 'string') return { v: UNKNOWN, literal };
    return { v: v === null ? null : !v, literal };
  }
  const isAnd = op === 'AND_EXPR';
  const dominant = !isAnd; // OR is decided by a true, AND by a false
  if (values.some((v) => v.v === dominant)) return { v: dominant, literal };
  if (!isAnd && complementaryNullTests(args)) return { v: true, literal };
  if (values.some((v) => v.v === UNKNOWN)) return { v: UNKNOWN, literal };
  if (values.some((v) => v.v === null)) return { v: null, literal };
  return { v: isAnd, literal };
}

/** `x IS NULL OR x IS NOT NULL` (in any order, among other OR operands). */
function complementaryNullTests(args: unknown[]): boolean {
  const tests = args.map((x) => as(x, 'NullTest')).filter((t): t is Fields => t !== undefined);
  return tests.some((t) => tests.some((u) => str(t.nulltesttype) !== str(u.nulltesttype) && sameColumn(t.arg, u.arg)));
}

function sameColumn(l: unknown, r: unknown): boolean {
  const lc = as(l, 'ColumnRef');
  const rc = as(r, 'ColumnRef');
  if (!lc || !rc) return false;
  const lf = columnPath(lc);
  return lf !== undefined && lf === columnPath(rc);
}

function columnPath(ref: Fields): string | undefined {
  const parts: string[] = [];
  for (const f of list(ref.fields)) {
    const s = as(f, 'String');
    if (!s) return undefined;
    parts.push(str(s.sval) ?? '');
  }
  return parts.join('\u0000');
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);

function operator(expr: Fields, a: Analyzer): Value {
  const kind = str(expr.kind);
  const opNames = names(expr.name);
  const op = opNames[opNames.length - 1] ?? '';
  if (opNames.length > 1 && opNames[0] !== 'pg_catalog') return opaque;
  switch (kind) {
    case 'AEXPR_OP': {
      if (COMPARISONS.has(op) && sameColumn(expr.lexpr, expr.rexpr)) {
        return { v: op === '=' || op === '<=' || op === '>=', literal: false };
      }
      if (!expr.lexpr) {
        const r = evaluate(expr.rexpr, a);
        if (isOpaque(r)) return opaque;
        return op === '-' && typeof r.v === 'number' ? { v: -r.v, literal: r.literal } : { v: UNKNOWN, literal: r.literal };
      }
      return binary(op, evaluate(expr.lexpr, a), evaluate(expr.rexpr, a));
    }
    case 'AEXPR_NOT_DISTINCT':
    case 'AEXPR_DISTINCT': {
      const distinct = kind === 'AEXPR_DISTINCT';
      if (sameColumn(expr.lexpr, expr.rexpr)) return { v: !distinct, literal: false };
      const l = evaluate(expr.lexpr, a);
      const r = evaluate(expr.rexpr, a);
      if (isOpaque(l) || isOpaque(r)) return opaque;
      const literal = l.literal || r.literal;
      if (l.v === UNKNOWN || r.v === UNKNOWN) return { v: UNKNOWN, literal };
      const equal = l.v === null || r.v === null ? l.v === r.v : compare('=', l.v, r.v);
      return { v: equal === undefined ? UNKNOWN : distinct ? !equal : equal, literal };
    }
    case 'AEXPR_IN': {
      const l = evaluate(expr.lexpr, a);
      const items = list(expr.rexpr).map((item) => evaluate(item, a));
      if (isOpaque(l) || items.some(isOpaque)) return opaque;
      if (l.v === UNKNOWN || items.some((r) => r.v === UNKNOWN)) return { v: UNKNOWN, literal: true };
      const found = items.some((r) => l.v !== null && r.v !== null && compare('=', l.v as Scalar, r.v as Scalar) === true);
      return { v: op === '=' ? found : !found, literal: true };
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      // `x LIKE '%'` matches every non-null x, as `id = id` does.
      const pattern = evaluate(expr.rexpr, a);
      if (isOpaque(pattern)) return opaque;
      const matchesAll = typeof pattern.v === 'string' && /^%+$/.test(pattern.v);
      return { v: matchesAll ? op === '~~' || op === '~~*' : UNKNOWN, literal: true };
    }
    default:
      return opaque;
  }
}

function binary(op: string, l: Value, r: Value): Value {
  if (isOpaque(l) || isOpaque(r)) return opaque;
  const literal = l.literal || r.literal;
  if (l.v === UNKNOWN || r.v === UNKNOWN) return { v: UNKNOWN, literal };
  if (l.v === null || r.v === null) return { v: null, literal };
  if (COMPARISONS.has(op)) {
    const v = compare(op, l.v, r.v);
    return { v: v === undefined ? UNKNOWN : v, literal };
  }
  if (typeof l.v === 'number' && typeof r.v === 'number') {
    switch (op) {
      case '+':
        return { v: l.v + r.v, literal };
      case '-':
        return { v: l.v - r.v, literal };
      case '*':
        return { v: l.v * r.v, literal };
      default:
        return { v: UNKNOWN, literal };
    }
  }
  if (op === '||' && typeof l.v === 'string' && typeof r.v === 'string') return { v: l.v + r.v, literal };
  return { v: UNKNOWN, literal };
}

/** Compares two constants as PostgreSQL would, or undefined when that depends on types or collation. */
function compare(op: string, l: Scalar, r: Scalar): boolean | undefined {
  let x = l;
  let y = r;
  // An untyped string literal compared with a number is read as a number.
  if (typeof x === 'number' && typeof y === 'string') y = numeric(y);
  if (typeof y === 'number' && typeof x === 'string') x = numeric(x);
  if (x === null || y === null || typeof x !== typeof y) return undefined;
  if (typeof x === 'string' && op !== '=' && op !== '<>' && op !== '!=') return undefined;
  switch (op) {
    case '=':
      return x === y;
    case '<>':
    case '!=':
      return x !== y;
    case '<':
      return x! < y!;
    case '>':
      return x! > y!;
    case '<=':
      return x! <= y!;
    case '>=':
      return x! >= y!;
    default:
      return undefined;
  }
}

function numeric(text: string): number | null {
  const n = Number(text.trim());
  return text.trim() === '' || Number.isNaN(n) ? null : n;
}

function booleanTest(type: string | undefined, value: Value): Value {
  if (value.v === UNKNOWN || typeof value.v === 'number' || typeof value.v === 'string') return { v: UNKNOWN, literal: value.literal };
  const v = value.v;
  const results: Record<string, boolean> = {
    IS_TRUE: v === true,
    IS_NOT_TRUE: v !== true,
    IS_FALSE: v === false,
    IS_NOT_FALSE: v !== false,
    IS_UNKNOWN: v === null,
    IS_NOT_UNKNOWN: v !== null,
  };
  const result = type === undefined ? undefined : results[type];
  return { v: result === undefined ? UNKNOWN : result, literal: value.literal };
}
