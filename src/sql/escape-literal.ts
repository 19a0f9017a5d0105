/**
 * What PostgreSQL's scanner checks inside an E'…' literal, beyond where it ends: Unicode escapes
 * must lie in 1..10FFFF with surrogates paired, and octal or hex escapes must leave valid UTF-8
 * without a zero byte. A literal that fails is a syntax error of the whole statement.
 */

const QUOTE = 39;
const BACKSLASH = 92;
const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

class EscapeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * The scanner's complaint about the E'…' literal whose content starts at `from` (after the opening
 * quote) and which ends at `end` (after the closing quote), or undefined when it has none.
 */
export function escapeLiteralError(text: string, from: number, end: number): { message: string; offset: number } | undefined {
  const backslash = text.indexOf('\\', from);
  if (backslash < 0 || backslash >= end) return undefined;
  try {
    checkEscapes(text, from, end);
    return undefined;
  } catch (error) {
    if (error instanceof EscapeError) return { message: error.message, offset: error.offset };
    throw error;
  }
}

function checkEscapes(text: string, from: number, end: number): void {
  const bytes: number[] = [];
  let rawBytes = false;
  let highSurrogate = -1;
  const fail = (message: string, at: number) => {
    throw new EscapeError(message, at);
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
