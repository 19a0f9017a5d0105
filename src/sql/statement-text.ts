/**
 * Where each statement of a parsed text begins and ends, in string indexes. libpg-query gives UTF-8
 * byte offsets: the first statement may lack `stmt_location` (0) and the last lacks `stmt_len`
 * (it runs to the end). Surrounding whitespace is trimmed; comments stay.
 */
import type { RawStatement } from './parser.js';
import { Utf8Offsets } from './text-offsets.js';

export interface Span {
  start: number;
  end: number;
}

export function statementSpans(text: string, stmts: readonly RawStatement[]): Span[] {
  const offsets = new Utf8Offsets(text);
  return stmts.map((s) => {
    const startByte = s.stmt_location ?? 0;
    let start = offsets.charIndex(startByte);
    let end = s.stmt_len ? offsets.charIndex(startByte + s.stmt_len) : text.length;
    while (start < end && isSpace(text.charCodeAt(start))) start++;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    return { start, end };
  });
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}
