/**
 * Expression nodes that matter on their own: column and parameter references, operators (a
 * user-defined operator is a call to an unknown function) and function calls.
 */
import { as, list, names, qualifiedName, str, stringValue, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { isBuiltinOperator } from './builtins/index.js';
import { functionCall } from './functions.js';
import type { FunctionEffect } from './types.js';

/** A_Expr kinds whose `name` is a keyword (BETWEEN …), not an operator. */
const KEYWORD_KINDS = new Set(['AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM']);

function columnRef(fields: Fields, a: Analyzer): void {
  const parts: string[] = [];
  for (const f of list(fields.fields)) {
    const s = stringValue(f);
    if (s !== undefined) parts.push(s);
    else if (as(f, 'A_Star')) parts.push('*');
    else return;
  }
  if (parts.length > 0) a.state.scope.column(parts);
}

/** Where `$n` is a parameter of the statement itself; elsewhere it belongs to a PREPARE or a function body. */
const OWN_PARAMETERS = new Set([undefined, 'explain', 'explain-analyze']);

function paramRef(fields: Fields, a: Analyzer): void {
  const n = typeof fields.number === 'number' ? fields.number : 0;
  if (n > a.parameterCount && OWN_PARAMETERS.has(a.state.via)) a.parameterCount = n;
}

function operatorExpr(fields: Fields, a: Analyzer): void {
  const kind = str(fields.kind);
  if (!kind || !KEYWORD_KINDS.has(kind)) {
    const { schema, name } = qualifiedName(names(fields.name));
    const builtin = (schema === undefined || schema === 'pg_catalog') && isBuiltinOperator(name);
    if (!builtin && name !== '') {
      const args = (fields.lexpr ? 1 : 0) + (fields.rexpr ? 1 : 0);
      const effect: FunctionEffect = { type: 'function', name, class: 'unknown', clause: a.state.clause, operator: name, argCount: args };
      if (schema !== undefined) effect.schema = schema;
      a.add(effect);
    }
  }
  a.expr(fields.lexpr);
  a.expr(fields.rexpr);
}

export const expressionHandlers: Readonly<Record<string, Handler>> = {
  ColumnRef: columnRef,
  ParamRef: paramRef,
  A_Expr: operatorExpr,
  FuncCall: functionCall,
};
