/**
 * The literal-free shape of a statement, the analysis cache's second key: its tokens (lexer.ts)
 * with every literal replaced by a placeholder of the literal's token type.
 */
import { foldWord, LexFailure, RAW, Scanner } from './lexer.js';

export { lex, scanAt, type Lexed, type Lexeme, type LexError, type Span, type Token, type TokenKind } from './lexer.js';

/** A statement's shape: its tokens with every literal replaced by a placeholder of the literal's token type. */
export interface Shape {
  /** Tokens joined by single spaces; comments and whitespace dropped, unquoted words lower-cased. */
  key: string;
  /** The replaced literals' texts, in order. */
  literals: string[];
}

/**
 * Placeholders keep the literal's token type, because the grammar treats the types differently
 * (`float(…)` wants an integer; `99999999999` is a float constant). None can be a token's text: a
 * lone `?` operator is followed by a space in the key.
 */
const PLACEHOLDER: Record<number, string> = {
  [RAW.INTEGER]: '?I',
  [RAW.FLOAT]: '?F',
  [RAW.STRING]: '?S',
  [RAW.ESCAPE_STRING]: '?S',
  [RAW.BIT_STRING]: '?B',
  [RAW.HEX_STRING]: '?X',
};

/**
 * The literal-free shape of SQL text, or `undefined` when the text cannot be lexed safely: a lex
 * error, a NUL character, a U&'…' literal or UESCAPE (decoded by the grammar, which may reject the
 * value), or an E'…' literal with numeric or Unicode escapes (whose value the scanner validates).
 *
 * Two texts with the same key lex to the same token types in the same order, so they parse to the
 * same tree up to literal values and locations — except where the grammar itself checks a value,
 * which `float(n)` is the one case of; its precision stays in the key. Whether the analysis of a
 * tree depends on literal values is the caller's concern.
 */
export function shapeKey(text: string): Shape | undefined {
  if (text.indexOf('\0') >= 0) return undefined;
  const scanner = new Scanner(text);
  const literals: string[] = [];
  let key = '';
  // The last two parts, to spot `float ( n )`.
  let last = '';
  let beforeLast = '';
  try {
    for (let raw = scanner.next(); raw !== RAW.END; raw = scanner.next()) {
      let part: string;
      switch (raw) {
        case RAW.COMMENT:
          continue;
        case RAW.WORD:
          part = foldWord(text, scanner.start, scanner.end);
          if (part === 'uescape') return undefined;
          break;
        case RAW.NCHAR:
          part = 'nchar';
          break;
        case RAW.UNICODE_STRING:
          return undefined;
        case RAW.INTEGER:
        case RAW.FLOAT:
        case RAW.STRING:
        case RAW.ESCAPE_STRING:
        case RAW.BIT_STRING:
        case RAW.HEX_STRING: {
          const literal = text.slice(scanner.start, scanner.end);
          if (raw === RAW.INTEGER && last === '(' && beforeLast === 'float') {
            part = literal;
            break;
          }
          if (raw === RAW.ESCAPE_STRING && hasValueEscape(literal)) return undefined;
          part = PLACEHOLDER[raw]!;
          literals.push(literal);
          break;
        }
        default:
          part = text.slice(scanner.start, scanner.end);
      }
      key = key.length === 0 ? part : `${key} ${part}`;
      beforeLast = last;
      last = part;
    }
  } catch (error) {
    if (error instanceof LexFailure) return undefined;
    throw error;
  }
  return { key, literals };
}

/** Backslash escapes whose value the scanner checks: octal, \x hex, \u and \U. */
function hasValueEscape(literal: string): boolean {
  for (let k = literal.indexOf('\\'); k >= 0; k = literal.indexOf('\\', k + 2)) {
    const c = literal.charCodeAt(k + 1);
    if ((c >= 48 && c <= 55) || c === 0x78 || c === 0x75 || c === 0x55) return true;
  }
  return false;
}
