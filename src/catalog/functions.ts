/**
 * What a function call in a statement reaches: the functions of that name and arity on the session's
 * search path. PostgreSQL picks among all of them by argument types, so a user function with the
 * same name as a builtin — in a schema on the path, even after pg_catalog — may win for some
 * argument types (the CVE-2018-1058 pattern): such a call is reported as shadowing the builtin.
 */
import type { CatalogSnapshot, FunctionEntry } from './snapshot.js';
import { ident } from './sql-text.js';

export interface FunctionCallSite {
  name: string;
  schema?: string;
  argCount: number;
}

export interface FunctionResolution {
  /** Functions of that name that accept that many arguments, in the schemas the call may search. */
  candidates: FunctionEntry[];
  /** A builtin and a user function are both candidates: the user function may be called instead. */
  shadowsBuiltin: boolean;
  /** Candidates exist and none is a builtin. */
  user: boolean;
}

/** Whether a function accepts `n` arguments (defaults and VARIADIC considered). */
export function acceptsArguments(fn: FunctionEntry, n: number): boolean {
  if (fn.variadic && n >= fn.argCount - 1) return true;
  return n <= fn.argCount && n >= fn.argCount - fn.defaults;
}

/**
 * Resolves a call through every search path the session may have (each as its effective schemas,
 * see `effectiveSchemas`; functions are never looked up in the temporary schema). For an unknown
 * path every schema counts.
 */
export function resolveFunction(snapshot: CatalogSnapshot, call: FunctionCallSite, paths: string[][] | 'unknown'): FunctionResolution {
  const named = (snapshot.functionsNamed.get(call.name) ?? []).filter((f) => acceptsArguments(f, call.argCount));
  let candidates: FunctionEntry[];
  if (call.schema !== undefined) candidates = named.filter((f) => f.schema === call.schema);
  else if (paths === 'unknown') candidates = named;
  else {
    const schemas = new Set(paths.flat());
    candidates = named.filter((f) => schemas.has(f.schema));
  }
  const builtin = candidates.some((f) => f.builtin);
  const user = candidates.some((f) => !f.builtin);
  return { candidates, shadowsBuiltin: builtin && user, user: user && !builtin };
}

/** The statement a FunctionCall message amounts to, for deciding it like SQL: `SELECT "s"."f"($1, …)`. */
export function functionCallSql(fn: FunctionEntry, argCount: number): string {
  const args = Array.from({ length: argCount }, (_, i) => `$${i + 1}`).join(', ');
  return `${fn.kind === 'procedure' ? 'CALL' : 'SELECT'} ${ident(fn.schema)}.${ident(fn.name)}(${args})`;
}
