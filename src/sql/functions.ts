/**
 * Function calls: every call becomes a function effect classified against the builtin catalogue;
 * calls that reach outside the database, change configuration or run SQL from a string add the
 * effect that says so, and `$n` arguments of such calls are flagged as sensitive parameters.
 */
import { list, names, qualifiedName, type Fields } from './ast.js';
import type { Analyzer } from './analyzer.js';
import { classifyFunction } from './builtins/index.js';
import { setConfigCall } from './config.js';
import { literalText, parameterNumber } from './literals.js';
import { analyzeNestedSql } from './nested.js';
import type { ExternalEffect, FunctionClass, FunctionEffect } from './types.js';

/** Classes whose arguments decide what the call does: a `$n` there is a sensitive parameter. */
const SENSITIVE_CLASSES = new Set<FunctionClass>(['file', 'large-object', 'network', 'dynamic-sql', 'config', 'dangerous']);

/** File functions that write; the rest only read (pg_read_file, pg_ls_dir, pg_stat_file…). */
export const FILE_WRITERS = new Set(['pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync']);

/** Large-object functions that change nothing (the rest create, write or delete objects). */
export const LARGE_OBJECT_READERS = new Set(['loread', 'lo_get', 'lo_open', 'lo_close', 'lo_tell', 'lo_tell64', 'lo_lseek', 'lo_lseek64']);

/** Functions that run the query given in an argument (index of that argument). */
const QUERY_ARGUMENT: Readonly<Record<string, number>> = {
  query_to_xml: 0,
  query_to_xmlschema: 0,
  query_to_xml_and_xmlschema: 0,
  ts_stat: 0,
  ts_rewrite: 1,
};

/** Records a call of `schema.name` with `argCount` arguments, classified; returns its class. */
export function functionEffect(name: string, schema: string | undefined, argCount: number, a: Analyzer): FunctionClass {
  const classification = classifyFunction(name, schema);
  const effect: FunctionEffect = { type: 'function', name, class: classification.class, clause: a.state.clause, argCount };
  if (schema !== undefined) effect.schema = schema;
  if (classification.volatility) effect.volatility = classification.volatility;
  a.add(effect);
  return classification.class;
}

export function functionCall(fields: Fields, a: Analyzer): void {
  const { schema, name } = qualifiedName(names(fields.funcname));
  const args = list(fields.args);
  const cls = functionEffect(name, schema, args.length, a);
  if (cls !== 'safe' && cls !== 'unknown') sideEffects(name, cls, args, a);
  a.expr(args);
  a.expr(fields.agg_order);
  a.expr(fields.agg_filter);
  a.expr(fields.over);
}

function sideEffects(name: string, cls: FunctionClass, args: unknown[], a: Analyzer): void {
  if (SENSITIVE_CLASSES.has(cls)) {
    args.forEach((arg) => {
      const parameter = parameterNumber(arg);
      if (parameter !== undefined) a.add({ type: 'sensitive-parameter', parameter, function: name, concern: cls });
    });
  }
  switch (cls) {
    case 'config':
      setConfigCall(name, args, a);
      return;
    case 'file':
      a.add(external('file', FILE_WRITERS.has(name) ? 'write' : 'read', name, args[0], a));
      return;
    case 'large-object':
      largeObject(name, args, a);
      return;
    case 'network':
      a.add(external('network', 'connect', name, args[0], a));
      return;
    case 'dynamic-sql':
      sqlStringFunction(name, args, a);
      return;
    default:
      return;
  }
}

function external(
  channel: ExternalEffect['channel'],
  direction: ExternalEffect['direction'],
  fn: string,
  targetArg: unknown,
  a: Analyzer,
): ExternalEffect {
  const target = targetArg === undefined ? undefined : literalText(targetArg, a);
  const effect: ExternalEffect = { type: 'external', channel, direction, function: fn };
  if (target !== undefined) effect.target = target;
  return effect;
}

function largeObject(name: string, args: unknown[], a: Analyzer): void {
  if (name === 'lo_import') a.add(external('file', 'read', name, args[0], a));
  else if (name === 'lo_export') a.add(external('file', 'write', name, args[1], a));
  const direction = LARGE_OBJECT_READERS.has(name) ? 'read' : 'write';
  a.add({ type: 'external', channel: 'large-object', direction, function: name });
}

/** query_to_xml('select …') and friends: the query is analysed when it is a literal, else opaque. */
function sqlStringFunction(name: string, args: unknown[], a: Analyzer): void {
  const index = QUERY_ARGUMENT[name];
  const query = index === undefined || (name === 'ts_rewrite' && args.length !== 2) ? undefined : args[index];
  const text = query === undefined ? undefined : literalText(query, a);
  if (text !== undefined) {
    a.add({ type: 'dynamic-sql', source: 'sql-string-function', language: 'sql', opaque: false, detail: name });
    analyzeNestedSql(text, a, { via: 'sql-string' }, 'sql-string-function');
    return;
  }
  a.add({ type: 'dynamic-sql', source: 'sql-string-function', language: 'sql', opaque: true, detail: name });
}
