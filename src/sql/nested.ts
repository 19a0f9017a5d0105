/**
 * SQL found inside a statement as text — a string run by EXECUTE, a `LANGUAGE sql` body, the query
 * of query_to_xml() — analysed like a statement of its own, with its effects marked as nested.
 */
import type { Analyzer, WalkState } from './analyzer.js';
import { parseSql } from './parser.js';
import { statementSpans } from './statement-text.js';
import type { DynamicSqlEffect } from './types.js';

/** Analyses `text`; when it does not parse, records opaque dynamic SQL instead. Returns whether it parsed. */
export function analyzeNestedSql(
  text: string,
  a: Analyzer,
  changes: Partial<WalkState>,
  source: DynamicSqlEffect['source'],
): boolean {
  const parsed = parseSql(text);
  if (!parsed.ok) {
    a.with(changes, () =>
      a.add({ type: 'dynamic-sql', source, language: 'sql', opaque: true, detail: parsed.error.message }),
    );
    return false;
  }
  const spans = statementSpans(text, parsed.value);
  parsed.value.forEach((stmt, i) => {
    const span = spans[i]!;
    a.statement(stmt.stmt, { ...changes, source: text.slice(span.start, span.end), top: false });
  });
  return true;
}
