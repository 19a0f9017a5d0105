/**
 * A small PostgreSQL lexer: token boundaries only, exactly where libpg-query's scanner puts them
 * (PostgreSQL 18's scan.l as libpg-query builds it — comments are tokens, so a comment between two
 * string literals keeps them apart). test/sql/shape.test.ts checks it against `scanSync` over the
 * whole regression corpus and generated snippets. It exists because `scanSync` is slower than
 * parsing, and the analysis cache needs a key per statement in a microsecond or two.
 *
 * Assumes `standard_conforming_strings = on` (a backslash in '…' is an ordinary character), which
 * the proxy guarantees upstream.
 */
import { PG_KEYWORDS } from './builtins/pg-keywords.js';
import { escapeLiteralError } from './escape-literal.js';

export type TokenKind =
  | 'keyword'
  | 'identifier'
  | 'quoted-identifier' // "…" and U&"…"
  | 'integer' // fits in int4; larger integers are `float`, as in PostgreSQL
  | 'float'
  | 'string' // '…' and $tag$…$tag$
  | 'escape-string' // E'…'
  | 'unicode-string' // U&'…'
  | 'bit-string' // B'…'
  | 'hex-string' // X'…'
  | 'parameter' // $1
  | 'operator' // + - * / < > = and every multi-character operator
  | 'punctuation' // , ( ) [ ] . ; : :: .. :=
  | 'other'; // characters the grammar has no use for ($ alone, \, {, …)

/** A half-open span `[start, end)` of character (UTF-16) offsets into the text. */
export interface Span {
  start: number;
  end: number;
}

export interface Token extends Span {
  kind: TokenKind;
}

export interface LexError {
  message: string;
  /** Character offset where the offending token starts. */
  offset: number;
}

export interface Lexed {
  /** Tokens up to the error, if any. */
  tokens: Token[];
  /** `-- …` (without the line end) and nested `/* … *\/` comments. */
  comments: Span[];
  error?: LexError;
}

/** A token, a comment, or the error that stopped the scanner, as `scanAt` returns it. */
export type Lexeme = Token | (Span & { kind: 'comment' }) | (Span & { kind: 'error'; message: string });

/** Raw token kinds of the scanner (small integers, for speed); `Scanner.next` returns one. */
export const RAW = {
  END: -1,
  COMMENT: 0,
  WORD: 1, // identifier or keyword
  NCHAR: 2, // the N of N'…', which the grammar sees as the keyword NCHAR
  QUOTED_IDENTIFIER: 3,
  INTEGER: 4,
  FLOAT: 5,
  STRING: 6,
  ESCAPE_STRING: 7,
  UNICODE_STRING: 8,
  BIT_STRING: 9,
  HEX_STRING: 10,
  PARAMETER: 11,
  OPERATOR: 12,
  PUNCTUATION: 13,
  OTHER: 14,
} as const;

const KIND_NAME: readonly TokenKind[] = [
  'other', // COMMENT: never a token
  'identifier', // WORD: refined to keyword by lookup
  'keyword',
  'quoted-identifier',
  'integer',
  'float',
  'string',
  'escape-string',
  'unicode-string',
  'bit-string',
  'hex-string',
  'parameter',
  'operator',
  'punctuation',
  'other',
];

const KEYWORDS: ReadonlySet<string> = new Set(PG_KEYWORDS);
const INT4_MAX = 2147483647n;
/** Operators are limited to NAMEDATALEN - 1 bytes; a longer one is an error. */
const NAMEDATALEN = 64;

// Character codes used below.
const TAB = 9, LF = 10, VT = 11, FF = 12, CR = 13, SPACE = 32;
const QUOTE = 39, DQUOTE = 34, DOLLAR = 36, AMP = 38, STAR = 42, PLUS = 43, MINUS = 45, DOT = 46;
const SLASH = 47, COLON = 58, EQUALS = 61, BACKSLASH = 92, UNDERSCORE = 95;

// Character classes of ASCII characters, as bit flags; every non-ASCII character is an identifier
// character (its UTF-8 bytes are all >= 0x80).
const DIGIT = 1, IDENT_START = 2, IDENT_CONT = 4, SPACE_CHAR = 8, OP_CHAR = 16, KEEPS_SIGN = 32, PUNCT = 64;
const CLASS = new Uint8Array(128);
const mark = (chars: string, flag: number) => {
  for (const ch of chars) CLASS[ch.charCodeAt(0)]! |= flag;
};
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
mark('0123456789', DIGIT | IDENT_CONT);
mark(LETTERS, IDENT_START | IDENT_CONT);
mark('$', IDENT_CONT);
mark(' \t\n\r\f\v', SPACE_CHAR);
mark('~!@#^&|`?+-*/%<>=', OP_CHAR);
// Operator characters that keep a trailing + or - attached to an operator (`@-`, `#-`).
mark('~!@#^&|`?%', KEEPS_SIGN);
mark(',()[];', PUNCT);

const is = (c: number, flag: number) => c < 128 && c >= 0 && (CLASS[c]! & flag) !== 0;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexDigit = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isOctDigit = (c: number) => c >= 48 && c <= 55;
const isBinDigit = (c: number) => c === 48 || c === 49;
const isIdentStart = (c: number) => c >= 128 || (c >= 0 && (CLASS[c]! & IDENT_START) !== 0);
const isIdentCont = (c: number) => c >= 128 || (c >= 0 && (CLASS[c]! & IDENT_CONT) !== 0);
const isDolqCont = (c: number) => c !== DOLLAR && isIdentCont(c);
const isHorizSpace = (c: number) => c === SPACE || c === TAB || c === FF || c === VT;
const isNewline = (c: number) => c === LF || c === CR;
const isSpace = (c: number) => is(c, SPACE_CHAR);
const isOpChar = (c: number) => is(c, OP_CHAR);
const keepsSign = (c: number) => is(c, KEEPS_SIGN);
const isPunctuation = (c: number) => is(c, PUNCT);

export class LexFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type StringMode = 'standard' | 'escape' | 'unicode' | 'bit';

/**
 * Steps through a text token by token: `next()` returns a RAW kind and sets `start`/`end`. Throws
 * LexFailure where PostgreSQL's scanner reports an error. Whitespace is skipped; comments are
 * returned as RAW.COMMENT.
 */
export class Scanner {
  start = 0;
  end = 0;

  constructor(
    readonly text: string,
    from = 0,
  ) {
    this.end = from;
  }

  next(): number {
    const text = this.text;
    const n = text.length;
    let i = this.end;
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    this.start = i;
    if (i >= n) {
      this.end = i;
      return RAW.END;
    }
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    if (isIdentStart(c)) return this.word(i, c, next);
    if (isPunctuation(c)) return this.token(RAW.PUNCTUATION, i + 1);
    if (isDigit(c) || (c === DOT && isDigit(next))) return this.number(i);
    if (c === QUOTE) return this.token(RAW.STRING, this.quotedStringEnd(i, 'standard'));
    if (c === DQUOTE) return this.token(RAW.QUOTED_IDENTIFIER, this.quotedIdentifierEnd(i, i));
    if (c === MINUS && next === MINUS) {
      let j = i + 2;
      while (j < n && !isNewline(text.charCodeAt(j))) j++;
      return this.token(RAW.COMMENT, j);
    }
    if (c === SLASH && next === STAR) return this.token(RAW.COMMENT, this.blockCommentEnd(i));
    if (c === DOLLAR) return this.dollar(i);
    if (c === COLON) return this.token(RAW.PUNCTUATION, next === COLON || next === EQUALS ? i + 2 : i + 1);
    if (c === DOT) return this.token(RAW.PUNCTUATION, next === DOT ? i + 2 : i + 1);
    if (isOpChar(c)) return this.token(RAW.OPERATOR, this.operatorEnd(i));
    return this.token(RAW.OTHER, i + 1);
  }

  private token(kind: number, end: number): number {
    this.end = end;
    return kind;
  }

  private blockCommentEnd(start: number): number {
    const text = this.text;
    let depth = 1;
    let j = start + 2;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      const d = text.charCodeAt(j + 1);
      if (c === SLASH && d === STAR) {
        depth++;
        j += 2;
      } else if (c === STAR && d === SLASH) {
        j += 2;
        if (--depth === 0) return j;
      } else {
        j++;
      }
    }
    throw new LexFailure('unterminated /* comment', start);
  }

  /** An identifier or keyword — or the letter prefix of B'…', X'…', E'…', N'…', U&'…', U&"…". */
  private word(i: number, c: number, next: number): number {
    const text = this.text;
    if (next === QUOTE) {
      switch (c | 0x20) {
        case 0x62: // b
          return this.token(RAW.BIT_STRING, this.quotedStringEnd(i + 1, 'bit'));
        case 0x78: // x
          return this.token(RAW.HEX_STRING, this.quotedStringEnd(i + 1, 'bit'));
        case 0x65: {
          // e
          const end = this.quotedStringEnd(i + 1, 'escape');
          const error = escapeLiteralError(text, i + 2, end);
          if (error) throw new LexFailure(error.message, error.offset);
          return this.token(RAW.ESCAPE_STRING, end);
        }
        case 0x6e: // n
          return this.token(RAW.NCHAR, i + 1);
      }
    }
    if ((c | 0x20) === 0x75 && next === AMP) {
      const third = text.charCodeAt(i + 2);
      if (third === QUOTE) return this.token(RAW.UNICODE_STRING, this.quotedStringEnd(i + 2, 'unicode'));
      if (third === DQUOTE) return this.token(RAW.QUOTED_IDENTIFIER, this.quotedIdentifierEnd(i, i + 2));
    }
    let j = i + 1;
    while (j < text.length && isIdentCont(text.charCodeAt(j))) j++;
    return this.token(RAW.WORD, j);
  }

  /**
   * End of a quoted literal whose opening quote is at `quote`. Literals separated only by
   * whitespace that contains a newline are one literal ('a'\n'b' is 'ab'), in the first part's mode.
   */
  private quotedStringEnd(quote: number, mode: StringMode): number {
    const text = this.text;
    const n = text.length;
    let j = quote + 1;
    for (;;) {
      if (j >= n) throw new LexFailure('unterminated quoted string', quote);
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        // B'…' and X'…' have no '' escape: a doubled quote ends the literal.
        if (mode !== 'bit' && text.charCodeAt(j + 1) === QUOTE) {
          j += 2;
          continue;
        }
        const close = j + 1;
        const resume = continuation(text, close);
        if (resume < 0) return close;
        j = resume + 1;
      } else if (c === BACKSLASH && mode === 'escape') {
        j = escapeEnd(text, j);
      } else {
        j++;
      }
    }
  }

  /** End of "…" (with "" escapes); `open` is the opening double quote, `start` the token start. */
  private quotedIdentifierEnd(start: number, open: number): number {
    const text = this.text;
    let j = open + 1;
    for (;;) {
      const close = text.indexOf('"', j);
      if (close < 0) throw new LexFailure('unterminated quoted identifier', start);
      if (text.charCodeAt(close + 1) === DQUOTE) {
        j = close + 2;
        continue;
      }
      if (close === open + 1) throw new LexFailure('zero-length delimited identifier', start);
      return close + 1;
    }
  }

  private number(i: number): number {
    const text = this.text;
    const c = text.charCodeAt(i);
    const base = c === 48 ? text.charCodeAt(i + 1) | 0x20 : 0;
    const isBaseDigit = base === 0x78 ? isHexDigit : base === 0x6f ? isOctDigit : base === 0x62 ? isBinDigit : undefined;
    if (isBaseDigit) {
      const end = digitsEnd(text, i + 2, isBaseDigit);
      if (end === i + 2) throw new LexFailure('invalid integer literal', i);
      // "0" followed by the identifier "b102" is longer than the literal 0b10: trailing junk.
      if (isIdentCont(text.charCodeAt(end))) throw new LexFailure('trailing junk after numeric literal', i);
      return this.token(integerKind(text, i, end), end);
    }
    let j = isDigit(c) ? digitsEnd(text, i, isDigit) : i;
    let fractional = false;
    if (text.charCodeAt(j) === DOT) {
      // "1..2" is 1 followed by `..`
      if (j > i && text.charCodeAt(j + 1) === DOT) return this.token(integerKind(text, i, j), j);
      fractional = true;
      j = isDigit(text.charCodeAt(j + 1)) ? digitsEnd(text, j + 1, isDigit) : j + 1;
    }
    if ((text.charCodeAt(j) | 0x20) === 0x65) {
      let k = j + 1;
      const sign = text.charCodeAt(k);
      if (sign === PLUS || sign === MINUS) k++;
      if (!isDigit(text.charCodeAt(k))) throw new LexFailure('trailing junk after numeric literal', i);
      j = digitsEnd(text, k, isDigit);
      fractional = true;
    }
    if (isIdentStart(text.charCodeAt(j))) throw new LexFailure('trailing junk after numeric literal', i);
    return this.token(fractional ? RAW.FLOAT : integerKind(text, i, j), j);
  }

  /** `$1`, `$tag$…$tag$`, or a lone `$`. */
  private dollar(i: number): number {
    const text = this.text;
    let j = i + 1;
    if (isDigit(text.charCodeAt(j))) {
      while (isDigit(text.charCodeAt(j))) j++;
      if (j - i > 10 && BigInt(text.slice(i + 1, j)) > INT4_MAX) throw new LexFailure('parameter number too large', i);
      return this.token(RAW.PARAMETER, j);
    }
    if (isIdentStart(text.charCodeAt(j)) || text.charCodeAt(j) === DOLLAR) {
      while (isDolqCont(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === DOLLAR) {
        const tag = text.slice(i, j + 1);
        const close = text.indexOf(tag, j + 1);
        if (close < 0) throw new LexFailure('unterminated dollar-quoted string', i);
        return this.token(RAW.STRING, close + tag.length);
      }
    }
    return this.token(RAW.OTHER, i + 1);
  }

  /**
   * The longest run of operator characters, cut before an embedded comment start, and without
   * trailing + or - unless the operator holds one of ~ ! @ # ^ & | ` ? % (so `a=-1` is `=` `-` `1`).
   */
  private operatorEnd(i: number): number {
    const text = this.text;
    let j = i + 1;
    while (j < text.length && isOpChar(text.charCodeAt(j))) j++;
    if (j === i + 1) return j;
    for (let k = i + 1; k < j - 1; k++) {
      const c = text.charCodeAt(k);
      const d = text.charCodeAt(k + 1);
      if ((c === SLASH && d === STAR) || (c === MINUS && d === MINUS)) {
        j = k;
        break;
      }
    }
    let len = j - i;
    const last = text.charCodeAt(i + len - 1);
    if (len > 1 && (last === PLUS || last === MINUS)) {
      let keep = false;
      for (let k = i; k < i + len - 1; k++) if (keepsSign(text.charCodeAt(k))) keep = true;
      if (!keep) {
        do len--;
        while (len > 1 && (text.charCodeAt(i + len - 1) === PLUS || text.charCodeAt(i + len - 1) === MINUS));
      }
    }
    if (len >= NAMEDATALEN) throw new LexFailure('operator too long', i);
    return i + len;
  }
}

/** Offset of the quote that continues a literal closed at `close`, or -1. */
function continuation(text: string, close: number): number {
  let k = close;
  while (k < text.length && isHorizSpace(text.charCodeAt(k))) k++;
  if (!isNewline(text.charCodeAt(k))) return -1;
  while (k < text.length && isSpace(text.charCodeAt(k))) k++;
  return text.charCodeAt(k) === QUOTE ? k : -1;
}

/** Skips one backslash escape of an E'…' literal; \u and \U must carry 4 and 8 hex digits. */
function escapeEnd(text: string, backslash: number): number {
  const c = text.charCodeAt(backslash + 1);
  const digits = c === 0x75 ? 4 : c === 0x55 ? 8 : 0; // u, U
  if (digits === 0) return backslash + 2;
  for (let k = 0; k < digits; k++) {
    if (!isHexDigit(text.charCodeAt(backslash + 2 + k))) throw new LexFailure('invalid Unicode escape', backslash);
  }
  return backslash + 2 + digits;
}

/** Digits of a base, optionally separated by single underscores (1_000, 0x_FF); returns the end. */
function digitsEnd(text: string, j: number, isBaseDigit: (c: number) => boolean): number {
  for (;;) {
    const c = text.charCodeAt(j);
    if (isBaseDigit(c)) j++;
    else if (c === UNDERSCORE && isBaseDigit(text.charCodeAt(j + 1))) j += 2;
    else return j;
  }
}

/** PostgreSQL lexes an integer that does not fit in int4 as a float constant. */
function integerKind(text: string, start: number, end: number): number {
  // Up to nine decimal digits always fit.
  if (end - start <= 9 && text.charCodeAt(start) !== 48) return RAW.INTEGER;
  return BigInt(text.slice(start, end).replaceAll('_', '')) <= INT4_MAX ? RAW.INTEGER : RAW.FLOAT;
}

/** PostgreSQL folds unquoted identifiers to lower case in ASCII only (for UTF-8). */
export function foldWord(text: string, start: number, end: number): string {
  const word = text.slice(start, end);
  let upper = false;
  let ascii = true;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 128) ascii = false;
  }
  if (!upper) return word;
  if (ascii) return word.toLowerCase();
  let out = '';
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : word[k];
  }
  return out;
}

function tokenKind(scanner: Scanner, raw: number): TokenKind {
  if (raw !== RAW.WORD) return KIND_NAME[raw]!;
  return KEYWORDS.has(foldWord(scanner.text, scanner.start, scanner.end)) ? 'keyword' : 'identifier';
}

/** Splits SQL text into tokens and comments, exactly where PostgreSQL's scanner would. */
export function lex(text: string): Lexed {
  const tokens: Token[] = [];
  const comments: Span[] = [];
  const nul = text.indexOf('\0');
  // The C scanner stops at a NUL byte; rather than mimic that, refuse the text.
  if (nul >= 0) return { tokens, comments, error: { message: 'invalid NUL character in statement text', offset: nul } };
  const scanner = new Scanner(text);
  try {
    for (let raw = scanner.next(); raw !== RAW.END; raw = scanner.next()) {
      if (raw === RAW.COMMENT) comments.push({ start: scanner.start, end: scanner.end });
      else tokens.push({ kind: tokenKind(scanner, raw), start: scanner.start, end: scanner.end });
    }
  } catch (error) {
    if (!(error instanceof LexFailure)) throw error;
    return { tokens, comments, error: { message: error.message, offset: error.offset } };
  }
  return { tokens, comments };
}

/**
 * The next token or comment at or after offset `from` (whitespace skipped), `undefined` at the end
 * of the text. For callers that must step through text themselves, as psql does around its
 * backslash commands; a NUL character is an ordinary `other` character here.
 */
export function scanAt(text: string, from: number): Lexeme | undefined {
  const scanner = new Scanner(text, from);
  try {
    const raw = scanner.next();
    if (raw === RAW.END) return undefined;
    const span = { start: scanner.start, end: scanner.end };
    return raw === RAW.COMMENT ? { kind: 'comment', ...span } : { kind: tokenKind(scanner, raw), ...span };
  } catch (error) {
    if (!(error instanceof LexFailure)) throw error;
    return { kind: 'error', start: error.offset, end: text.length, message: error.message };
  }
}
