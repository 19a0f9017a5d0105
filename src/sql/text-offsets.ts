/**
 * libpg-query reports locations as byte offsets into the UTF-8 encoding of the text, while callers
 * index JavaScript strings by UTF-16 code unit. This maps one to the other without re-encoding the
 * text for every lookup.
 */
export class Utf8Offsets {
  private readonly ascii: boolean;
  /** Last mapped position: lookups move forward from here, as statements come in order. */
  private byte = 0;
  private char = 0;

  constructor(private readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\x00-\x7f]/.test(text);
  }

  /** The UTF-16 index of the character that starts at `byteOffset` (clamped to the text). */
  charIndex(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    if (byteOffset < this.byte) {
      this.byte = 0;
      this.char = 0;
    }
    const text = this.text;
    let byte = this.byte;
    let char = this.char;
    while (byte < byteOffset && char < text.length) {
      const code = text.charCodeAt(char);
      if (code < 0x80) {
        byte += 1;
        char += 1;
      } else if (code < 0x800) {
        byte += 2;
        char += 1;
      } else if (code >= 0xd800 && code <= 0xdbff && char + 1 < text.length) {
        byte += 4;
        char += 2;
      } else {
        byte += 3;
        char += 1;
      }
    }
    this.byte = byte;
    this.char = char;
    return char;
  }
}

/** Index of the first character that cannot travel as UTF-8 text: a NUL or a lone surrogate. */
export function firstInvalidCharacter(text: string): number | undefined {
  const nul = text.indexOf('\0');
  if (nul < 0 && isWellFormed(text)) return undefined;
  const surrogate = text.search(/\p{Cs}/u);
  if (nul < 0) return surrogate < 0 ? undefined : surrogate;
  return surrogate < 0 ? nul : Math.min(nul, surrogate);
}

/** The UTF-16 index of the `n`-th code point (0-based) of `text`; PostgreSQL's error cursors count code points. */
export function codePointIndex(text: string, n: number): number {
  let index = 0;
  for (let k = 0; k < n && index < text.length; k++) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? 2 : 1;
  }
  return index;
}

/** String.prototype.isWellFormed (ES2024, in Node 20) where present: no lone surrogate. */
function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(text) : !/\p{Cs}/u.test(text);
}
