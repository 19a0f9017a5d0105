/** Reading a Bind for the guard, and stand-in analyses for messages that carry no SQL. */
import type { Bind } from '../protocol/frontend.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { BoundValues } from './decider.js';

/** Bound values as text for the guard: text-format values decoded, binary ones marked unreadable. */
export function boundValues(bind: Bind): BoundValues {
  const formatOf = (i: number): number => (bind.paramFormats.length === 0 ? 0 : bind.paramFormats.length === 1 ? bind.paramFormats[0]! : (bind.paramFormats[i] ?? 0));
  const values: (string | null)[] = [];
  const binary: boolean[] = [];
  bind.params.forEach((param, i) => {
    const isBinary = formatOf(i) === 1;
    binary.push(isBinary && param !== null);
    values.push(param === null || isBinary ? null : param.toString('utf8'));
  });
  return { values, binary };
}

/** A stand-in analysis for messages that carry no SQL (FunctionCall, a Bind of an unknown name). */
export function pseudoStatement(sql: string): StatementAnalysis {
  return { index: 0, sql, start: 0, end: sql.length, kind: 'unknown', readOnly: 'unknown', effects: [], parameterCount: 0, tags: {}, fingerprint: '' };
}

