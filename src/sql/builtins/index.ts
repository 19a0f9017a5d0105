/**
 * The builtin function and operator catalogue: what the analyser knows about a function call or an
 * operator without a live catalog. Pure; the data comes from generated and hand-kept modules.
 */
import type { FunctionClass, Volatility } from '../types.js';
import { PG_OPERATORS, PG_PROC } from './pg-proc.js';
import { BUILTIN_CLASSES, EXTENSION_CLASSES, HARMLESS_VOLATILE, type HandClass } from './classification.js';

export type FunctionKind = 'function' | 'procedure' | 'aggregate' | 'window';

/** A function of pg_catalog as the generated catalogue knows it. */
export interface BuiltinFunction {
  name: string;
  /** The most volatile of all overloads. */
  volatility: Volatility;
  /** Every kind the name has over its overloads (`rank` is both aggregate and window). */
  kinds: readonly FunctionKind[];
}

/** What a call site is: the class decides whether the call matters for policy. */
export interface FunctionClassification {
  class: FunctionClass;
  /** Known for builtins only. */
  volatility?: Volatility;
  /** Whether the name is a pg_catalog function (an extension function is not, even when classified). */
  builtin: boolean;
}

const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };
const KIND: Record<string, FunctionKind> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };

const builtins = new Map<string, BuiltinFunction>(
  Object.entries(PG_PROC).map(([name, code]) => [
    name,
    { name, volatility: VOLATILITY[code[0]!]!, kinds: [...code.slice(1)].map((k) => KIND[k]!) },
  ]),
);
const operators = new Set(PG_OPERATORS);

/** Expands `prefix*` entries against a set of names; plain entries are kept as they are. */
export function expandPatterns(patterns: readonly string[], names: Iterable<string>): string[] {
  const all = [...names];
  return patterns.flatMap((p) => (p.endsWith('*') ? all.filter((n) => n.startsWith(p.slice(0, -1))) : [p]));
}

const builtinClass = new Map<string, HandClass>();
for (const [cls, patterns] of Object.entries(BUILTIN_CLASSES) as [HandClass, readonly string[]][]) {
  for (const name of expandPatterns(patterns, builtins.keys())) builtinClass.set(name, cls);
}

/** Extension entries match by prefix at lookup time: their names are not in the catalogue to expand against. */
const extensionPatterns = (Object.entries(EXTENSION_CLASSES) as [HandClass, readonly string[]][]).flatMap(
  ([cls, patterns]) => patterns.map((p) => ({ cls, prefix: p.endsWith('*') ? p.slice(0, -1) : undefined, name: p })),
);

function extensionClass(name: string): HandClass | undefined {
  return extensionPatterns.find((e) => (e.prefix === undefined ? e.name === name : name.startsWith(e.prefix)))?.cls;
}

/** The catalogue entry of a pg_catalog function, by its exact (already case-folded) name. */
export function lookupBuiltin(name: string): BuiltinFunction | undefined {
  return builtins.get(name);
}

export function builtinVolatility(name: string): Volatility | undefined {
  return builtins.get(name)?.volatility;
}

/** Whether an operator name (`+`, `~~`, `@>`…) exists in pg_catalog; anything else is a user operator. */
export function isBuiltinOperator(name: string): boolean {
  return operators.has(name);
}

/**
 * Classifies a called function by name (as PostgreSQL resolves it: unquoted names lower-cased) and
 * the schema written at the call site. A builtin name qualified with another schema is a user
 * function (`unknown`); functions of well-known extensions (dblink, adminpack) are classified in
 * any schema, since where they live is an installation choice.
 */
export function classifyFunction(name: string, schema?: string): FunctionClassification {
  const extension = extensionClass(name);
  if (extension) return { class: extension, builtin: false };
  if (schema !== undefined && schema !== 'pg_catalog') return { class: 'unknown', builtin: false };
  const builtin = builtins.get(name);
  if (!builtin) return { class: 'unknown', builtin: false };
  return { class: builtinClass.get(name) ?? 'safe', volatility: builtin.volatility, builtin: true };
}

/** Names of every builtin, for tests and tools. */
export function builtinNames(): IterableIterator<string> {
  return builtins.keys();
}

/** The hand classification of every builtin that has one (for tests: no name in two classes). */
export function handClassifiedBuiltins(): ReadonlyMap<string, HandClass> {
  return builtinClass;
}

export { BUILTIN_CLASSES, EXTENSION_CLASSES, HARMLESS_VOLATILE };
