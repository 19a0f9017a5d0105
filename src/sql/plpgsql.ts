/**
 * PL/pgSQL bodies (DO blocks, functions, procedures): every SQL statement and expression inside is
 * analysed as SQL; EXECUTE of a string is analysed when the string is a constant and reported as
 * opaque dynamic SQL otherwise; COMMIT/ROLLBACK inside a body are transaction control.
 */
import { as, isObject, list, nodeType, str, type AstNode, type Fields } from './ast.js';
import type { Analyzer, WalkState } from './analyzer.js';
import { analyzeNestedSql } from './nested.js';
import { parseSql, scanTokens } from './parser.js';
import type { DynamicSqlEffect } from './types.js';

/** libpg-query's RawParseMode of a PL/pgSQL expression. */
const PARSE_MODE = { statement: 0, expression: 2 } as const;

/** Statements whose named field holds a query string to be run (EXECUTE and friends). */
const DYNAMIC_QUERY_FIELDS: Readonly<Record<string, string>> = {
  PLpgSQL_stmt_dynexecute: 'query',
  PLpgSQL_stmt_dynfors: 'query',
  PLpgSQL_stmt_open: 'dynquery',
  PLpgSQL_stmt_return_query: 'dynquery',
};

interface BodyContext {
  a: Analyzer;
  changes: Partial<WalkState>;
  source: DynamicSqlEffect['source'];
}

export function walkPlpgsql(functions: AstNode[], a: Analyzer, changes: Partial<WalkState>, source: DynamicSqlEffect['source']): void {
  visit(functions, { a, changes, source });
}

function visit(value: unknown, ctx: BodyContext): void {
  if (Array.isArray(value)) {
    for (const v of value) visit(v, ctx);
    return;
  }
  if (!isObject(value)) return;
  const type = nodeType(value);
  if (type === undefined) {
    for (const key in value) visit(value[key], ctx);
    return;
  }
  const fields = value[type] as Fields;
  if (type === 'PLpgSQL_expr') return expression(fields, ctx);
  if (type === 'PLpgSQL_stmt_commit' || type === 'PLpgSQL_stmt_rollback') {
    const operation = type === 'PLpgSQL_stmt_commit' ? 'commit' : 'rollback';
    ctx.a.with(ctx.changes, () => ctx.a.add({ type: 'transaction', operation }));
    return;
  }
  const dynamicField = DYNAMIC_QUERY_FIELDS[type];
  for (const key in fields) {
    const expr = key === dynamicField ? as(fields[key], 'PLpgSQL_expr') : undefined;
    if (expr) dynamicQuery(str(expr.query) ?? '', ctx);
    else visit(fields[key], ctx);
  }
}

function expression(fields: Fields, ctx: BodyContext): void {
  const query = str(fields.query) ?? '';
  const mode = typeof fields.parseMode === 'number' ? fields.parseMode : PARSE_MODE.statement;
  if (mode === PARSE_MODE.statement) {
    analyzeNestedSql(query, ctx.a, ctx.changes, ctx.source);
    return;
  }
  const expr = mode === PARSE_MODE.expression ? query : assignedExpression(query);
  if (expr === undefined) {
    opaque(ctx, `assignment \`${query}\` could not be read`, 'plpgsql');
    return;
  }
  analyzeNestedSql(`SELECT ${expr}`, ctx.a, ctx.changes, ctx.source);
}

/** `target := expr` (or `target = expr`) → `expr`, split by the SQL lexer. */
function assignedExpression(query: string): string | undefined {
  const scanned = scanTokens(query);
  if (!scanned.ok) return undefined;
  const equals = scanned.value.find((t) => t.text === ':=' || t.text === '=');
  return equals ? query.slice(equals.end) : undefined;
}

function opaque(ctx: BodyContext, detail: string, language = 'plpgsql'): void {
  ctx.a.with(ctx.changes, () =>
    ctx.a.add({ type: 'dynamic-sql', source: 'execute-string', language, opaque: true, detail }),
  );
}

/** EXECUTE expr: the expression is analysed (it may call functions); a constant string is analysed as SQL. */
function dynamicQuery(expr: string, ctx: BodyContext): void {
  const wrapped = `SELECT ${expr}`;
  analyzeNestedSql(wrapped, ctx.a, ctx.changes, ctx.source);
  const constant = constantString(wrapped);
  if (constant === undefined) {
    opaque(ctx, `EXECUTE of a computed string: ${expr.trim()}`);
    return;
  }
  ctx.a.readsLiteral();
  analyzeNestedSql(constant, ctx.a, ctx.changes, 'execute-string');
}

/** The value of `SELECT <constant string expression>` when it is made of literals only. */
function constantString(select: string): string | undefined {
  const parsed = parseSql(select);
  if (!parsed.ok || parsed.value.length !== 1) return undefined;
  const stmt = as(parsed.value[0]!.stmt, 'SelectStmt');
  const targets = list(stmt?.targetList);
  if (targets.length !== 1) return undefined;
  return stringOf(as(targets[0], 'ResTarget')?.val);
}

function stringOf(node: unknown): string | undefined {
  const c = as(node, 'A_Const');
  if (c) return isObject(c.sval) ? (str(c.sval.sval) ?? '') : undefined;
  const cast = as(node, 'TypeCast');
  if (cast) return stringOf(cast.arg);
  const expr = as(node, 'A_Expr');
  if (expr && str(expr.kind) === 'AEXPR_OP' && list(expr.name).length === 1 && str(as(list(expr.name)[0], 'String')?.sval) === '||') {
    const l = stringOf(expr.lexpr);
    const r = stringOf(expr.rexpr);
    return l !== undefined && r !== undefined ? l + r : undefined;
  }
  return undefined;
}
