/**
 * Reading values the analysis depends on: a literal read here marks the analysis literal-sensitive
 * (so it is never reused for the same statement with other literals).
 */
import { as, constantOf, constantText, type Fields } from './ast.js';
import type { Analyzer } from './analyzer.js';

/** Strips casts: `'x'::text` and `$1::text` are the literal and the parameter. */
export function uncast(value: unknown): unknown {
  let v = value;
  for (let cast = as(v, 'TypeCast'); cast; cast = as(v, 'TypeCast')) v = cast.arg;
  return v;
}

/** The text of a literal argument (`'x'`, `42`, `true`), or undefined when it is not a literal. */
export function literalText(value: unknown, a: Analyzer): string | undefined {
  const c = as(uncast(value), 'A_Const');
  if (!c) return undefined;
  a.readsLiteral();
  return constantText(constantOf(c));
}

/** The number of a `$n` argument, or undefined. */
export function parameterNumber(value: unknown): number | undefined {
  const p = as(uncast(value), 'ParamRef');
  return p && typeof p.number === 'number' ? p.number : undefined;
}

/** A_Const fields of a value, if it is a (cast) literal. */
export function constantNode(value: unknown): Fields | undefined {
  return as(uncast(value), 'A_Const');
}
