/**
 * `analyzeUncached(text)`: parse a text and describe each of its statements. Never throws: a parse
 * error, input too deep for the parser or the walk, or text that cannot be UTF-8 comes back as an
 * error value.
 */
import { nodeType, type Fields } from './ast.js';
import { Analyzer } from './analyzer.js';
import { SQLSTATE, analysisError } from './errors.js';
import { kindOf } from './kinds.js';
import { defineFingerprint } from './fingerprint.js';
import { parseSql, type AstNode } from './parser.js';
import { combineReadOnly, effectReadOnly } from './read-only.js';
import { statementSpans, type Span } from './statement-text.js';
import { blockComments, sqlcommenterTags } from './tags.js';
import type { Analysis, AnalysisError, Effect, FunctionEffect, ReadEffect, StatementAnalysis } from './types.js';

/** A statement's analysis and whether it depends on literal values (see cache.ts). */
export interface StatementResult {
  statement: StatementAnalysis;
  literalSensitive: boolean;
}

function errorStatement(text: string, error: AnalysisError): StatementAnalysis {
  return {
    index: 0,
    sql: text,
    start: 0,
    end: text.length,
    kind: 'unknown',
    readOnly: 'unknown',
    effects: [],
    parameterCount: 0,
    tags: sqlcommenterTags(text, safeComments(text)),
    fingerprint: '',
    error,
  };
}

function safeComments(text: string) {
  try {
    return blockComments(text);
  } catch {
    return [];
  }
}

function readKey(e: ReadEffect): string {
  const r = e.relation;
  return `${r.catalog ?? ''}\u0000${r.schema ?? ''}\u0000${r.name}\u0000${e.viaFunction ?? ''}\u0000${e.via ?? ''}\u0000${e.deferred ?? ''}`;
}

function functionKey(e: FunctionEffect): string {
  return `${e.schema ?? ''}\u0000${e.name}\u0000${e.operator ?? ''}\u0000${e.class}\u0000${e.clause}\u0000${e.argCount}\u0000${e.via ?? ''}\u0000${e.deferred ?? ''}`;
}

/** Merges reads of the same relation (uniting their columns) and drops repeated function calls. */
function finalEffects(effects: Effect[]): Effect[] {
  if (effects.length < 2) return effects;
  const out: Effect[] = [];
  const reads = new Map<string, ReadEffect>();
  const calls = new Set<string>();
  for (const e of effects) {
    if (e.type === 'read') {
      const key = readKey(e);
      const first = reads.get(key);
      if (!first) {
        reads.set(key, e);
        out.push(e);
      } else if (e.columns) {
        const columns = (first.columns ??= []);
        for (const c of e.columns) if (!columns.includes(c)) columns.push(c);
      }
    } else if (e.type === 'function') {
      const key = functionKey(e);
      if (calls.has(key)) continue;
      calls.add(key);
      out.push(e);
    } else {
      out.push(e);
    }
  }
  return out;
}

/** Analyses one parsed statement whose text is `text.slice(span.start, span.end)`. */
export function analyzeStatement(node: AstNode, text: string, span: Span, index: number, tags: Record<string, string>): StatementResult {
  const sql = text.slice(span.start, span.end);
  const type = nodeType(node) ?? 'unknown';
  const statement = defineFingerprint({
    index,
    sql,
    start: span.start,
    end: span.end,
    kind: kindOf(type, (node[type] ?? {}) as Fields),
    node: type,
    readOnly: 'unknown' as StatementAnalysis['readOnly'],
    effects: [] as StatementAnalysis['effects'],
    parameterCount: 0,
    tags,
  }) as StatementAnalysis;
  const a = new Analyzer(sql);
  try {
    a.statement(node, { top: true });
  } catch (err) {
    // Only the JavaScript stack can give out here (a tree the parser accepted but too deep to walk).
    const error = err instanceof RangeError
      ? analysisError(SQLSTATE.tooComplex, 'statement is too deeply nested')
      : analysisError(SQLSTATE.internal, `analysis failed: ${err instanceof Error ? err.message : String(err)}`);
    // Built anew rather than spread: a spread would read the fingerprint, parsing the deep text again.
    const failed: StatementAnalysis = { index, sql, start: span.start, end: span.end, kind: 'unknown', readOnly: 'unknown', effects: [], parameterCount: 0, tags, fingerprint: '', error };
    return { statement: failed, literalSensitive: true };
  }
  statement.effects = finalEffects(a.effects);
  const readOnly = combineReadOnly(statement.effects.map(effectReadOnly));
  statement.readOnly = a.unclassified.size > 0 && readOnly === true ? 'unknown' : readOnly;
  statement.parameterCount = a.parameterCount;
  if (a.limit !== undefined) statement.limit = a.limit;
  if (a.unclassified.size > 0) statement.unclassified = [...a.unclassified].sort();
  return { statement, literalSensitive: a.literalSensitive };
}

/** Analyses every statement of `text`, with nothing cached. */
export function analyzeUncached(text: string): Analysis {
  return analyzeText(text).analysis;
}

/** The analysis, plus per statement whether it depends on literal values. */
export function analyzeText(text: string): { analysis: Analysis; literalSensitive: boolean[] } {
  const parsed = parseSql(text);
  if (!parsed.ok) {
    return { analysis: { statements: [errorStatement(text, parsed.error)], error: parsed.error }, literalSensitive: [true] };
  }
  const spans = statementSpans(text, parsed.value);
  const comments = blockComments(text);
  const statements: StatementAnalysis[] = [];
  const literalSensitive: boolean[] = [];
  let tagsFrom = 0;
  parsed.value.forEach((raw, index) => {
    const span = spans[index]!;
    // Tags come from comments after the previous statement up to this one's end (the last one's: to the end).
    const tagsTo = index === spans.length - 1 ? text.length : span.end;
    const tags = sqlcommenterTags(text, comments, tagsFrom, tagsTo);
    tagsFrom = span.end;
    const result = analyzeStatement(raw.stmt, text, span, index, tags);
    statements.push(result.statement);
    literalSensitive.push(result.literalSensitive);
  });
  return { analysis: { statements }, literalSensitive };
}
