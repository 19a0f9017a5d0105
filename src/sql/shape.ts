/**
 * A small PostgreSQL lexer and the literal-free shape key built on it.
 *
 * The lexer reproduces the token boundaries of libpg-query's scanner (PostgreSQL 18's scan.l as
 * libpg-query builds it: comments are tokens, so a comment between two string literals stops them
 * from being one continued literal); test/sql/shape.test.ts checks it against `scanSync` over the
 * whole regression corpus. It exists because `scanSync` is slower than parsing, and the analysis
 * cache needs a key per statement in well under a microsecond per token.
 *
 * Assumes `standard_conforming_strings = on` (a backslash in '…' is an ordinary character), which
 * the proxy guarantees upstream.
 */
import { PG_KEYWORDS } from './builtins/pg-keywords.js';

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

const KEYWORDS: ReadonlySet<string> = new Set(PG_KEYWORDS);
const INT4_MAX = 2147483647n;
/** Identifiers and operators are limited to NAMEDATALEN - 1 bytes; longer operators are an error. */
const NAMEDATALEN = 64;

// Character codes used below.
const TAB = 9, LF = 10, VT = 11, FF = 12, CR = 13, SPACE = 32;
const QUOTE = 39, DQUOTE = 34, DOLLAR = 36, AMP = 38, STAR = 42, PLUS = 43, MINUS = 45, DOT = 46;
const SLASH = 47, COLON = 58, EQUALS = 61, BACKSLASH = 92, UNDERSCORE = 95;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexDigit = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Every non-ASCII character is an identifier character (its UTF-8 bytes are all >= 0x80). */
const isIdentStart = (c: number) => isLetter(c) || c === UNDERSCORE || c >= 128;
const isIdentCont = (c: number) => isIdentStart(c) || isDigit(c) || c === DOLLAR;
const isDolqCont = (c: number) => isIdentStart(c) || isDigit(c);
const isHorizSpace = (c: number) => c === SPACE || c === TAB || c === FF || c === VT;
const isNewline = (c: number) => c === LF || c === CR;
const isSpace = (c: number) => isHorizSpace(c) || isNewline(c);

const OP_CHARS = new Set([...'~!@#^&|`?+-*/%<>='].map((ch) => ch.charCodeAt(0)));
/** Operator characters that keep a trailing + or - attached to an operator (`@-`, `#-`). */
const OP_KEEPS_SIGN = new Set([...'~!@#^&|`?%'].map((ch) => ch.charCodeAt(0)));
const PUNCTUATION = new Set([...',()[];'].map((ch) => ch.charCodeAt(0)));

class LexFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A token, a comment, or the error that stopped the scanner, as `scanAt` returns it. */
export type Lexeme = Token | (Span & { kind: 'comment' }) | (Span & { kind: 'error'; message: string });

/** Splits SQL text into tokens and comments, exactly where PostgreSQL's scanner would. */
export function lex(text: string): Lexed {
  const tokens: Token[] = [];
  const comments: Span[] = [];
  const nul = text.indexOf('\0');
  // The C scanner stops at a NUL byte; rather than mimic that, refuse the text.
  if (nul >= 0) return { tokens, comments, error: { message: 'invalid NUL character in statement text', offset: nul } };
  let i = 0;
  try {
    for (let lexeme = readLexeme(text, 0); lexeme; lexeme = readLexeme(text, i)) {
      i = lexeme.end;
      if (lexeme.kind === 'comment') comments.push({ start: lexeme.start, end: lexeme.end });
      else tokens.push(lexeme);
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
  try {
    return readLexeme(text, from);
  } catch (error) {
    if (!(error instanceof LexFailure)) throw error;
    return { kind: 'error', start: error.offset, end: text.length, message: error.message };
  }
}

type Read = Token | (Span & { kind: 'comment' });

function readLexeme(text: string, from: number): Read | undefined {
  const n = text.length;
  let i = from;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (i >= n) return undefined;
  const c = text.charCodeAt(i);
  const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
  if (c === MINUS && next === MINUS) {
    let j = i + 2;
    while (j < n && !isNewline(text.charCodeAt(j))) j++;
    return { kind: 'comment', start: i, end: j };
  }
  if (c === SLASH && next === STAR) return { kind: 'comment', start: i, end: blockCommentEnd(text, i) };
  const [kind, end] = tokenAt(text, i, c, next);
  return { kind, start: i, end };
}

function tokenAt(text: string, i: number, c: number, next: number): [TokenKind, number] {
  if (c === QUOTE) return ['string', quotedStringEnd(text, i, 'standard')];
  if (c === DQUOTE) return ['quoted-identifier', quotedIdentifierEnd(text, i, i)];
  if (isIdentStart(c)) return wordAt(text, i, c, next);
  if (isDigit(c) || (c === DOT && isDigit(next))) return numberAt(text, i);
  if (c === DOLLAR) return dollarAt(text, i);
  if (c === COLON) return ['punctuation', next === COLON || next === EQUALS ? i + 2 : i + 1];
  if (c === DOT) return ['punctuation', next === DOT ? i + 2 : i + 1];
  if (PUNCTUATION.has(c)) return ['punctuation', i + 1];
  if (OP_CHARS.has(c)) return ['operator', operatorEnd(text, i)];
  return ['other', i + 1];
}

function blockCommentEnd(text: string, start: number): number {
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
function wordAt(text: string, i: number, c: number, next: number): [TokenKind, number] {
  if (next === QUOTE) {
    switch (c | 0x20) {
      case 0x62: // b
        return ['bit-string', quotedStringEnd(text, i + 1, 'bit')];
      case 0x78: // x
        return ['hex-string', quotedStringEnd(text, i + 1, 'bit')];
      case 0x65: {
        // e
        const end = quotedStringEnd(text, i + 1, 'escape');
        checkEscapeString(text, i + 2, end);
        return ['escape-string', end];
      }
      case 0x6e: // n: the scanner returns the keyword NCHAR for the letter, then lexes the string
        return ['keyword', i + 1];
    }
  }
  if ((c | 0x20) === 0x75 && next === AMP) {
    const third = text.charCodeAt(i + 2);
    if (third === QUOTE) return ['unicode-string', quotedStringEnd(text, i + 2, 'unicode')];
    if (third === DQUOTE) return ['quoted-identifier', quotedIdentifierEnd(text, i, i + 2)];
  }
  let j = i + 1;
  while (j < text.length && isIdentCont(text.charCodeAt(j))) j++;
  return [KEYWORDS.has(asciiLower(text.slice(i, j))) ? 'keyword' : 'identifier', j];
}

type StringMode = 'standard' | 'escape' | 'unicode' | 'bit';

/**
 * End of a quoted literal whose opening quote is at `quote`. Literals separated only by whitespace
 * that contains a newline are one literal ('a'\n'b' is 'ab'), in the mode of the first part.
 */
function quotedStringEnd(text: string, quote: number, mode: StringMode): number {
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

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Rejects what the scanner rejects in an E'…' literal (`from` is after the opening quote, `end`
 * after the closing one): Unicode escapes outside 1..10FFFF or with unpaired surrogates, and octal
 * or hex escapes that make the value invalid UTF-8 or hold a zero byte.
 */
function checkEscapeString(text: string, from: number, end: number): void {
  if (text.indexOf('\\', from) < 0 || text.indexOf('\\', from) >= end) return;
  const bytes: number[] = [];
  let rawBytes = false;
  let highSurrogate = -1;
  const fail = (message: string, at: number) => {
    throw new LexFailure(message, at);
  };
  let j = from;
  while (j < end - 1) {
    const c = text.charCodeAt(j);
    let unicode = -1;
    if (c === QUOTE) {
      if (highSurrogate >= 0) fail('invalid Unicode surrogate pair', j);
      if (text.charCodeAt(j + 1) === QUOTE) {
        bytes.push(QUOTE);
        j += 2;
      } else {
        j = text.indexOf("'", j + 1) + 1; // a continued literal: skip to the next part
      }
      continue;
    }
    if (c === BACKSLASH) {
      const e = text.charCodeAt(j + 1);
      if (e === 0x75 || e === 0x55) {
        const digits = e === 0x75 ? 4 : 8;
        unicode = parseInt(text.slice(j + 2, j + 2 + digits), 16);
        j += 2 + digits;
      } else if (highSurrogate >= 0) {
        fail('invalid Unicode surrogate pair', j);
      } else if (e >= 48 && e <= 55) {
        let k = j + 1;
        while (k < j + 4 && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 55) k++;
        bytes.push(parseInt(text.slice(j + 1, k), 8) & 0xff);
        rawBytes = true;
        j = k;
        continue;
      } else if (e === 0x78 && isHexDigit(text.charCodeAt(j + 2))) {
        const k = isHexDigit(text.charCodeAt(j + 3)) ? j + 4 : j + 3;
        bytes.push(parseInt(text.slice(j + 2, k), 16));
        rawBytes = true;
        j = k;
        continue;
      } else {
        const ch = String.fromCodePoint(text.codePointAt(j + 1)!);
        bytes.push(...utf8.encode(ch));
        j += 1 + ch.length;
        continue;
      }
    } else if (highSurrogate >= 0) {
      fail('invalid Unicode surrogate pair', j);
    }
    if (unicode < 0) {
      const ch = String.fromCodePoint(text.codePointAt(j)!);
      bytes.push(...utf8.encode(ch));
      j += ch.length;
      continue;
    }
    if (highSurrogate >= 0) {
      if (unicode < 0xdc00 || unicode > 0xdfff) fail('invalid Unicode surrogate pair', j);
      unicode = 0x10000 + ((highSurrogate - 0xd800) << 10) + (unicode - 0xdc00);
      highSurrogate = -1;
    } else if (unicode >= 0xd800 && unicode <= 0xdbff) {
      highSurrogate = unicode;
      continue;
    } else if (unicode >= 0xdc00 && unicode <= 0xdfff) {
      fail('invalid Unicode surrogate pair', j);
    }
    if (unicode === 0 || unicode > 0x10ffff) fail('invalid Unicode escape value', j);
    bytes.push(...utf8.encode(String.fromCodePoint(unicode)));
  }
  if (highSurrogate >= 0) fail('invalid Unicode surrogate pair', end);
  if (rawBytes) {
    if (bytes.includes(0)) fail('invalid byte sequence for encoding "UTF8": 0x00', from);
    try {
      strictUtf8.decode(new Uint8Array(bytes));
    } catch {
      fail('invalid byte sequence for encoding "UTF8"', from);
    }
  }
}

/** End of "…" (with "" escapes); `open` is the opening double quote, `start` the token start. */
function quotedIdentifierEnd(text: string, start: number, open: number): number {
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

/** Digits of `base`, optionally separated by single underscores (1_000, 0x_FF); returns the end. */
function digitsEnd(text: string, j: number, isBaseDigit: (c: number) => boolean): number {
  for (;;) {
    const c = text.charCodeAt(j);
    if (isBaseDigit(c)) j++;
    else if (c === UNDERSCORE && isBaseDigit(text.charCodeAt(j + 1))) j += 2;
    else return j;
  }
}

const BASE_PREFIX: Record<number, (c: number) => boolean> = {
  0x78: isHexDigit, // x
  0x6f: (c) => c >= 48 && c <= 55, // o
  0x62: (c) => c === 48 || c === 49, // b
};

function numberAt(text: string, i: number): [TokenKind, number] {
  const junk = (end: number) => {
    if (isIdentStart(text.charCodeAt(end))) throw new LexFailure('trailing junk after numeric literal', i);
  };
  const c = text.charCodeAt(i);
  const prefixed = c === 48 ? BASE_PREFIX[text.charCodeAt(i + 1) | 0x20] : undefined;
  if (prefixed) {
    const end = digitsEnd(text, i + 2, prefixed);
    if (end === i + 2) throw new LexFailure('invalid integer literal', i);
    // "0" followed by the identifier "b102" is longer than the literal 0b10: trailing junk.
    if (isIdentCont(text.charCodeAt(end))) throw new LexFailure('trailing junk after numeric literal', i);
    return [integerKind(text.slice(i, end)), end];
  }
  let j = isDigit(c) ? digitsEnd(text, i, isDigit) : i;
  let fractional = false;
  if (text.charCodeAt(j) === DOT) {
    // "1..2" is 1 followed by `..`
    if (j > i && text.charCodeAt(j + 1) === DOT) return [integerKind(text.slice(i, j)), j];
    fractional = true;
    j = isDigit(text.charCodeAt(j + 1)) ? digitsEnd(text, j + 1, isDigit) : j + 1;
  }
  const e = text.charCodeAt(j) | 0x20;
  if (e === 0x65) {
    let k = j + 1;
    const sign = text.charCodeAt(k);
    if (sign === PLUS || sign === MINUS) k++;
    if (!isDigit(text.charCodeAt(k))) throw new LexFailure('trailing junk after numeric literal', i);
    j = digitsEnd(text, k, isDigit);
    fractional = true;
  }
  junk(j);
  return [fractional ? 'float' : integerKind(text.slice(i, j)), j];
}

/** PostgreSQL lexes an integer that does not fit in int4 as a float constant. */
function integerKind(literal: string): TokenKind {
  const plain = literal.replaceAll('_', '');
  if (plain.length <= 9 && !plain.startsWith('0')) return 'integer';
  return BigInt(plain) <= INT4_MAX ? 'integer' : 'float';
}

/** `$1`, `$tag$…$tag$`, or a lone `$`. */
function dollarAt(text: string, i: number): [TokenKind, number] {
  let j = i + 1;
  if (isDigit(text.charCodeAt(j))) {
    while (isDigit(text.charCodeAt(j))) j++;
    if (BigInt(text.slice(i + 1, j)) > INT4_MAX) throw new LexFailure('parameter number too large', i);
    return ['parameter', j];
  }
  if (isIdentStart(text.charCodeAt(j)) || text.charCodeAt(j) === DOLLAR) {
    while (isDolqCont(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === DOLLAR) {
      const tag = text.slice(i, j + 1);
      const close = text.indexOf(tag, j + 1);
      if (close < 0) throw new LexFailure('unterminated dollar-quoted string', i);
      return ['string', close + tag.length];
    }
  }
  return ['other', i + 1];
}

/**
 * The longest run of operator characters, cut before an embedded comment start, and without
 * trailing + or - unless the operator holds one of ~ ! @ # ^ & | ` ? % (so `a=-1` is `=` `-` `1`).
 */
function operatorEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && OP_CHARS.has(text.charCodeAt(j))) j++;
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
    for (let k = i; k < i + len - 1; k++) if (OP_KEEPS_SIGN.has(text.charCodeAt(k))) keep = true;
    if (!keep) {
      do len--;
      while (len > 1 && (text.charCodeAt(i + len - 1) === PLUS || text.charCodeAt(i + len - 1) === MINUS));
    }
  }
  if (len >= NAMEDATALEN) throw new LexFailure('operator too long', i);
  return i + len;
}

/** PostgreSQL folds unquoted identifiers to lower case in ASCII only (for UTF-8). */
function asciiLower(word: string): string {
  let upper = false;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c >= 65 && c <= 90) {
      upper = true;
      break;
    }
  }
  if (!upper) return word;
  let out = '';
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : word[k];
  }
  return out;
}

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
const PLACEHOLDER: Partial<Record<TokenKind, string>> = {
  integer: '?I',
  float: '?F',
  string: '?S',
  'escape-string': '?S',
  'bit-string': '?B',
  'hex-string': '?X',
};

/**
 * The literal-free shape of SQL text, or `undefined` when the text cannot be lexed safely: a lex
 * error, a U&'…' literal or UESCAPE (decoded by the grammar, which may reject the value), or an
 * E'…' literal with numeric or Unicode escapes (whose value the scanner validates).
 *
 * Two texts with the same key lex to the same token types in the same order, so they parse to the
 * same tree up to literal values and locations — except where the grammar itself checks a value,
 * which `float(n)` is the one case of; its precision stays in the key.
 */
export function shapeKey(text: string): Shape | undefined {
  const { tokens, error } = lex(text);
  if (error) return undefined;
  const parts: string[] = [];
  const literals: string[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const { kind, start, end } = tokens[t]!;
    const raw = text.slice(start, end);
    const placeholder = PLACEHOLDER[kind];
    if (placeholder && !(kind === 'integer' && isFloatPrecision(parts))) {
      if (kind === 'escape-string' && hasValueEscape(raw)) return undefined;
      parts.push(placeholder);
      literals.push(raw);
    } else if (kind === 'keyword' || kind === 'identifier') {
      const word = asciiLower(raw);
      if (word === 'uescape') return undefined;
      // The N of N'…' is the keyword NCHAR to the grammar.
      parts.push(kind === 'keyword' && word === 'n' ? 'nchar' : word);
    } else if (kind === 'unicode-string') {
      return undefined;
    } else {
      parts.push(raw);
    }
  }
  return { key: parts.join(' '), literals };
}

function isFloatPrecision(parts: readonly string[]): boolean {
  return parts[parts.length - 1] === '(' && parts[parts.length - 2] === 'float';
}

/** Backslash escapes whose value the scanner checks: octal, \x hex, \u and \U. */
function hasValueEscape(literal: string): boolean {
  for (let k = literal.indexOf('\\'); k >= 0; k = literal.indexOf('\\', k + 2)) {
    const c = literal.charCodeAt(k + 1);
    if ((c >= 48 && c <= 55) || c === 0x78 || c === 0x75 || c === 0x55) return true;
  }
  return false;
}
