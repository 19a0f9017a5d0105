/**
 * The analysis cache. Two levels:
 *  - by exact text, for every text (multi-statement, errors included);
 *  - by SHAPE (the text with its literals replaced by placeholders, see shape.ts), for single
 *    statements whose analysis does not depend on any literal's value. A shape hit reuses the
 *    analysis of an earlier text and rebuilds only what belongs to the new text: `sql`, `start`,
 *    `end` and `tags`. `WHERE 1=1`, `SET x = 'off'`, COPY file names, LIMIT values, set_config
 *    arguments, DO bodies… mark an analysis literal-sensitive and keep it out of the shape level.
 *
 * Cached analyses are deep-frozen and shared between callers: treat every analysis as immutable.
 * Both levels are bounded; the oldest entry goes first.
 */
import { analyzeText } from './analyze.js';
import { defineFingerprint } from './fingerprint.js';
import { SQLSTATE } from './errors.js';
import { lex, shapeKey, type Lexed } from './shape.js';
import { blockCommentsOf, sqlcommenterTags } from './tags.js';
import { firstInvalidCharacter } from './text-offsets.js';
import type { Analysis, StatementAnalysis } from './types.js';

export interface CacheOptions {
  /** Entries per level (default 10,000). */
  maxEntries?: number;
  /** Longer texts are analysed but not kept (default 64 KiB). */
  maxTextLength?: number;
}

export interface CacheStats {
  exactHits: number;
  shapeHits: number;
  misses: number;
  exactEntries: number;
  shapeEntries: number;
}

/** Freezes plain data (effects, tags) all the way down. */
function freezeData<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key in value) freezeData((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

/** Freezes an analysis without reading `fingerprint` (a getter that would parse again). */
function freezeAnalysis(analysis: Analysis): Analysis {
  for (const s of analysis.statements) {
    freezeData(s.effects);
    freezeData(s.tags);
    if (s.error) freezeData(s.error);
    if (s.unclassified) Object.freeze(s.unclassified);
    Object.freeze(s);
  }
  Object.freeze(analysis.statements);
  if (analysis.error) Object.freeze(analysis.error);
  return Object.freeze(analysis);
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Where the single statement of `text` lies, as the parser cuts it (see statement-text.ts): from its
 * first token to its end or to its terminating `;`, without surrounding whitespace.
 */
function statementSpan(text: string, lexed: Lexed | undefined): { start: number; end: number } {
  let start = 0;
  let end = text.length;
  if (lexed) {
    const tokens = lexed.tokens;
    start = tokens[0]?.start ?? 0;
    const last = tokens[tokens.length - 1];
    if (last && text.charCodeAt(last.start) === 0x3b) end = last.start;
  } else {
    while (start < end && isSpace(text.charCodeAt(start))) start++;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    // Without comments, a final `;` can only be the terminator (a string ends with its quote).
    if (text.charCodeAt(end - 1) === 0x3b) end--;
  }
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return { start, end };
}

/** A statement analysis for `sql` built from one of the same shape: same order of fields as a fresh one. */
function rebase(template: StatementAnalysis, sql: string, start: number, end: number, tags: Record<string, string>): StatementAnalysis {
  const statement = defineFingerprint(
    {
      index: 0,
      sql,
      start,
      end,
      kind: template.kind,
      node: template.node,
      readOnly: template.readOnly,
      effects: template.effects,
      parameterCount: template.parameterCount,
      tags,
    },
    template,
  ) as StatementAnalysis;
  if (template.limit !== undefined) statement.limit = template.limit;
  if (template.unclassified !== undefined) statement.unclassified = template.unclassified;
  return Object.freeze(statement);
}

export class AnalysisCache {
  private readonly exact = new Map<string, Analysis>();
  private readonly shapes = new Map<string, StatementAnalysis>();
  private readonly maxEntries: number;
  private readonly maxTextLength: number;
  private readonly counts = { exactHits: 0, shapeHits: 0, misses: 0 };

  constructor(options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxTextLength = options.maxTextLength ?? 64 * 1024;
  }

  analyze(text: string): Analysis {
    const hit = this.exact.get(text);
    if (hit) {
      this.counts.exactHits++;
      return hit;
    }
    if (text.length > this.maxTextLength) {
      this.counts.misses++;
      return analyzeText(text).analysis;
    }
    // Shape keys do not see encoding problems inside literals; the parser does.
    const shape = firstInvalidCharacter(text) === undefined ? shapeKey(text) : undefined;
    // Only single statements: `;` nowhere but at the very end.
    const single = shape !== undefined && shape.key.indexOf(';') >= shape.key.length - 1;
    if (single) {
      const template = this.shapes.get(shape.key);
      if (template) {
        this.counts.shapeHits++;
        return this.fromShape(template, text);
      }
    }
    this.counts.misses++;
    const { analysis, literalSensitive } = analyzeText(text);
    freezeAnalysis(analysis);
    // An internal failure (the parser restarting) is transient; any other answer is the text's own.
    if (analysis.error?.code === SQLSTATE.internal) return analysis;
    this.remember(this.exact, text, analysis);
    const only = analysis.statements[0];
    if (single && analysis.statements.length === 1 && only && !only.error && !literalSensitive[0]) {
      this.remember(this.shapes, shape.key, only);
    }
    return analysis;
  }

  private fromShape(template: StatementAnalysis, text: string): Analysis {
    const lexed = text.includes('/*') || text.includes('--') ? lex(text) : undefined;
    const span = statementSpan(text, lexed);
    const comments = lexed ? blockCommentsOf(text, lexed) : [];
    const statement = rebase(template, text.slice(span.start, span.end), span.start, span.end, sqlcommenterTags(text, comments));
    return Object.freeze({ statements: Object.freeze([statement]) as StatementAnalysis[] });
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= this.maxEntries) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, value);
  }

  stats(): CacheStats {
    return { ...this.counts, exactEntries: this.exact.size, shapeEntries: this.shapes.size };
  }

  clear(): void {
    this.exact.clear();
    this.shapes.clear();
  }
}
