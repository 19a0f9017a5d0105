/**
 * `analyzeEach(text)`: like `analyze`, but when the text as a whole does not parse, it is cut into
 * statements by the lexer (at `;` outside parentheses and outside BEGIN ATOMIC bodies) and each is
 * analysed on its own — so a report over a script shows every statement, with the ones that do not
 * parse carrying their own error. For reports (the CLI); a decision must use `analyze`, which
 * refuses the whole text.
 */
import { analyze } from './shared-cache.js';
import { lex, type Token } from './shape.js';
import type { Analysis, StatementAnalysis } from './types.js';

interface Piece {
  start: number;
  end: number;
}

function word(text: string, t: Token | undefined): string {
  return t && (t.kind === 'keyword' || t.kind === 'identifier') ? text.slice(t.start, t.end).toLowerCase() : '';
}

/** Statement pieces: from a statement's first token to its `;` (or the last token). */
export function splitStatements(text: string): Piece[] {
  const { tokens, error } = lex(text);
  const pieces: Piece[] = [];
  let first = 0;
  let depth = 0;
  let atomic = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const raw = text.slice(t.start, t.end);
    if (raw === '(') depth++;
    else if (raw === ')') depth = Math.max(0, depth - 1);
    else if (word(text, t) === 'atomic' && word(text, tokens[i - 1]) === 'begin') atomic++;
    else if (atomic > 0 && word(text, t) === 'end') atomic--;
    else if (raw === ';' && depth === 0 && atomic === 0) {
      if (i > first) pieces.push({ start: tokens[first]!.start, end: t.start });
      first = i + 1;
    }
  }
  // The rest (the last statement without `;`, or text the lexer could not read) runs to the end.
  const rest = first < tokens.length ? tokens[first]!.start : error?.offset;
  if (rest !== undefined) pieces.push({ start: rest, end: text.length });
  return pieces;
}

function shifted(s: StatementAnalysis, index: number, offset: number): StatementAnalysis {
  return { ...s, index, start: s.start + offset, end: s.end + offset };
}

export function analyzeEach(text: string): Analysis {
  const whole = analyze(text);
  if (!whole.error) return whole;
  const statements: StatementAnalysis[] = [];
  for (const piece of splitStatements(text)) {
    const analysis = analyze(text.slice(piece.start, piece.end));
    for (const s of analysis.statements) statements.push(shifted(s, statements.length, piece.start));
  }
  return { statements };
}
