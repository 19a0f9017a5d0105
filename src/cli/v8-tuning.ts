/**
 * V8 flags `parapet serve` sets for itself before anything compiles WebAssembly. The SQL parser is
 * libpg-query compiled to WASM (one active instance and its spares); by default V8 compiles it twice,
 * first with Liftoff and then, as it runs hot, again with TurboFan, and keeps both codes: about
 * 55 MiB more RSS once a burst of logins has run the parser. Liftoff alone costs little parse speed
 * (docs/operations.md, Memory). WASM flags are read when a module is compiled, so setting them at
 * run time works; heap sizes are fixed when the process starts and stay the operator's (NODE_OPTIONS).
 */
import v8 from 'node:v8';

/** The flags chosen for `serve`, each with the family of flags whose operator choice overrides it. */
const SERVE_FLAGS = [{ flag: '--liftoff-only', family: /^--(no-)?(liftoff|liftoff-only|wasm-tier-up|wasm-dynamic-tiering)(=.*)?$/ }] as const;

/** A flag as V8 reads it: underscores and dashes are the same. */
function normalise(flag: string): string {
  const [name, value] = flag.split(/=(.*)/s, 2);
  return `${name!.replaceAll('_', '-')}${value !== undefined ? `=${value}` : ''}`;
}

/**
 * The flags to set, given the ones the operator passed (node's command line and NODE_OPTIONS): a flag
 * of a family the operator already chose from is left to the operator.
 */
export function serveV8Flags(operatorFlags: readonly string[]): string[] {
  const given = operatorFlags.map(normalise);
  return SERVE_FLAGS.filter(({ family }) => !given.some((flag) => family.test(flag))).map(({ flag }) => flag);
}

/** The operator's node flags of this process: its command line and NODE_OPTIONS. */
export function operatorFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  return [...execArgv, ...nodeOptions.split(/\s+/).filter((token) => token.startsWith('--'))];
}

/** Sets the serve flags on this process's V8; returns the ones set. Call before the parser loads. */
export function tuneV8ForServe(): string[] {
  const flags = serveV8Flags(operatorFlags());
  for (const flag of flags) v8.setFlagsFromString(flag);
  return flags;
}
