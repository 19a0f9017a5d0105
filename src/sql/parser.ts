/**
 * The PostgreSQL parser (libpg-query compiled to WebAssembly), behind wrappers that never throw.
 *
 * Every failure comes back as an {@link AnalysisError} value: a syntax error as 42601 with its
 * position, input nested deeper than the parser's stacks as 54001, text that cannot be UTF-8 as 22021.
 * A trap inside the WASM module (stack overflow, out-of-bounds access) leaves its memory in an unknown
 * state, so the instance is thrown away and a spare one, loaded in advance, takes its place at once;
 * new spares load in the background. `initParser()` must have resolved before any call.
 */
import createModule, { type PgQueryWasm } from 'libpg-query/wasm/libpg-query.js';
import { SQLSTATE, analysisError } from './errors.js';
import { Utf8Offsets, codePointIndex, firstInvalidCharacter } from './text-offsets.js';
import type { AnalysisError } from './types.js';

/** A parse tree node as libpg-query's JSON gives it: `{ NodeType: { …fields } }`. */
export type AstNode = Record<string, unknown>;

/** One statement of a parsed text; locations are UTF-8 byte offsets (absent: 0 / up to the end). */
export interface RawStatement {
  stmt: AstNode;
  stmt_location?: number;
  stmt_len?: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: AnalysisError };

/** Loaded instances waiting to replace one that traps. */
const SPARES = 2;

let active: PgQueryWasm | undefined;
const spares: PgQueryWasm[] = [];
let loading = 0;
let initialised: Promise<void> | undefined;
let restarts = 0;

function topUp(): void {
  while (spares.length + loading < SPARES) {
    loading++;
    createModule().then(
      (module) => {
        loading--;
        if (active) spares.push(module);
        else active = module;
        topUp();
      },
      () => {
        loading--;
      },
    );
  }
}

/** Loads the parser (and its spares) once; every entry point awaits this before analysing. */
export function initParser(): Promise<void> {
  initialised ??= (async () => {
    active = await createModule();
    topUp();
  })();
  return initialised;
}

/**
 * Replaces a module that trapped by a spare. With none left (a burst of traps), calls fail with an
 * error value until one has loaded.
 */
function discardActive(): void {
  restarts++;
  active = spares.shift();
  topUp();
}

/** The parser's health: whether it can parse now, spares in reserve, and how often one had to replace a trapped instance. */
export function parserHealth(): { ready: boolean; spares: number; restarts: number } {
  return { ready: active !== undefined, spares: spares.length, restarts };
}

/** Errors thrown from inside the WASM module (as opposed to a parse error it reports). */
function trapError(err: unknown): AnalysisError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError || /stack|call stack exhausted/i.test(message)) {
    return analysisError(SQLSTATE.tooComplex, 'statement is too deeply nested');
  }
  return analysisError(SQLSTATE.internal, `parser failed: ${message}`);
}

function unavailable(): AnalysisError {
  return initialised
    ? analysisError(SQLSTATE.internal, 'parser is restarting after a failure')
    : analysisError(SQLSTATE.internal, 'parser is not loaded: await initParser() first');
}

/** Runs one call into the module with the text in its memory; a throw discards the module. */
function withText<T>(text: string, call: (wasm: PgQueryWasm, ptr: number) => T): Parsed<T> {
  const wasm = active;
  if (!wasm) return { ok: false, error: unavailable() };
  try {
    const size = wasm.lengthBytesUTF8(text) + 1;
    const ptr = wasm._malloc(size);
    if (!ptr) return { ok: false, error: analysisError(SQLSTATE.tooComplex, 'statement is too large') };
    try {
      wasm.stringToUTF8(text, ptr, size);
      return { ok: true, value: call(wasm, ptr) };
    } finally {
      wasm._free(ptr);
    }
  } catch (err) {
    if (active === wasm) discardActive();
    return { ok: false, error: trapError(err) };
  }
}

function checkEncoding(text: string): AnalysisError | undefined {
  const bad = firstInvalidCharacter(text);
  if (bad === undefined) return undefined;
  const what = text.charCodeAt(bad) === 0 ? 'a NUL character' : 'a lone UTF-16 surrogate';
  return analysisError(SQLSTATE.invalidEncoding, `text contains ${what}, which is not valid UTF-8`, bad + 1);
}

function tooDeep(message: string): boolean {
  return message.startsWith('memory exhausted') || message.startsWith('stack depth limit exceeded');
}

type RawOutcome = { tree: string } | { message: string; cursor: number };

/** Parses SQL text into its statements. Error positions are 1-based character positions in `text`. */
export function parseSql(text: string): Parsed<RawStatement[]> {
  const encoding = checkEncoding(text);
  if (encoding) return { ok: false, error: encoding };
  if (text.length === 0) return { ok: true, value: [] };
  const raw = withText<RawOutcome>(text, (wasm, ptr) => {
    const result = wasm._wasm_parse_query_raw(ptr);
    if (!result) throw new Error('parse result allocation failed');
    try {
      const treePtr = wasm.getValue(result, 'i32');
      const errorPtr = wasm.getValue(result + 8, 'i32');
      if (errorPtr) {
        const messagePtr = wasm.getValue(errorPtr, 'i32');
        return {
          message: messagePtr ? wasm.UTF8ToString(messagePtr) : 'syntax error',
          cursor: wasm.getValue(errorPtr + 16, 'i32'),
        };
      }
      return { tree: treePtr ? wasm.UTF8ToString(treePtr) : '{}' };
    } finally {
      wasm._wasm_free_parse_result(result);
    }
  });
  if (!raw.ok) return raw;
  if ('message' in raw.value) {
    const { message, cursor } = raw.value;
    const code = tooDeep(message) ? SQLSTATE.tooComplex : SQLSTATE.syntaxError;
    // The cursor counts characters (code points), not bytes: PostgreSQL converts it for its own messages.
    const position = cursor > 0 ? codePointIndex(text, cursor - 1) + 1 : undefined;
    return { ok: false, error: analysisError(code, message, position) };
  }
  try {
    const tree = JSON.parse(raw.value.tree) as { stmts?: RawStatement[] };
    return { ok: true, value: tree.stmts ?? [] };
  } catch (err) {
    return { ok: false, error: trapError(err) };
  }
}

/**
 * Parses a DO block or a CREATE FUNCTION/PROCEDURE statement whose body is PL/pgSQL; the value is
 * libpg-query's `plpgsql_funcs` list.
 */
export function parsePlpgsql(text: string): Parsed<AstNode[]> {
  const encoding = checkEncoding(text);
  if (encoding) return { ok: false, error: encoding };
  const raw = withText(text, (wasm, ptr) => {
    const result = wasm._wasm_parse_plpgsql(ptr);
    try {
      return wasm.UTF8ToString(result);
    } finally {
      if (result) wasm._wasm_free_string(result);
    }
  });
  if (!raw.ok) return raw;
  if (!raw.value.startsWith('{')) {
    const code = tooDeep(raw.value) ? SQLSTATE.tooComplex : SQLSTATE.syntaxError;
    return { ok: false, error: analysisError(code, raw.value) };
  }
  try {
    const tree = JSON.parse(raw.value) as { plpgsql_funcs?: AstNode[] };
    return { ok: true, value: tree.plpgsql_funcs ?? [] };
  } catch (err) {
    return { ok: false, error: trapError(err) };
  }
}

/** libpg-query's literal-free fingerprint of one statement; `''` when it cannot be computed. */
export function fingerprint(text: string): string {
  const raw = withText(text, (wasm, ptr) => {
    const result = wasm._wasm_fingerprint(ptr);
    try {
      return wasm.UTF8ToString(result);
    } finally {
      if (result) wasm._wasm_free_string(result);
    }
  });
  return raw.ok && /^[0-9a-f]+$/.test(raw.value) ? raw.value : '';
}

/** A token of the SQL lexer; offsets are string indexes into the scanned text. */
export interface Token {
  start: number;
  end: number;
  text: string;
}

/** Splits text into PostgreSQL's tokens (comments and whitespace are not tokens). */
export function scanTokens(text: string): Parsed<Token[]> {
  const encoding = checkEncoding(text);
  if (encoding) return { ok: false, error: encoding };
  const raw = withText(text, (wasm, ptr) => {
    const result = wasm._wasm_scan(ptr);
    try {
      return wasm.UTF8ToString(result);
    } finally {
      if (result) wasm._wasm_free_string(result);
    }
  });
  if (!raw.ok) return raw;
  if (!raw.value.startsWith('{')) return { ok: false, error: analysisError(SQLSTATE.syntaxError, raw.value) };
  try {
    const scanned = JSON.parse(raw.value) as { tokens?: { start: number; end: number; text: string }[] };
    const offsets = new Utf8Offsets(text);
    return {
      ok: true,
      value: (scanned.tokens ?? []).map((t) => ({ start: offsets.charIndex(t.start), end: offsets.charIndex(t.end), text: t.text })),
    };
  } catch (err) {
    return { ok: false, error: trapError(err) };
  }
}
