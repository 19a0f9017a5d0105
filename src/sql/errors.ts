/**
 * Errors of the analyser, as values. Codes are PostgreSQL SQLSTATEs so that the proxy can send them to
 * a client unchanged.
 */
import type { AnalysisError } from './types.js';

export const SQLSTATE = {
  /** The text does not parse. */
  syntaxError: '42601',
  /** Nesting deeper than the parser's stacks (PostgreSQL's statement_too_complex). */
  tooComplex: '54001',
  /** A NUL byte or a lone UTF-16 surrogate: text that cannot be valid UTF-8 on the wire. */
  invalidEncoding: '22021',
  /** The parser failed in a way that is not the input's fault. */
  internal: 'XX000',
} as const;

export function analysisError(code: string, message: string, position?: number): AnalysisError {
  return position === undefined ? { code, message } : { code, message, position };
}
