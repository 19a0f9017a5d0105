/**
 * How one value is masked. Styles (the policy's `MaskStyle`):
 *   - `redact`: a fixed placeholder, `****`;
 *   - `partial`: the placeholder followed by the last `keep` characters (`****1234`) — never more
 *     than half of the value, so a short value is not given away whole;
 *   - `hash`: a keyed hash (mask-hash.ts: BLAKE2s keyed from the deployment's key, 32 hex
 *     characters), equal for equal values so joins and counts still work, useless without the key;
 *   - `null`: SQL NULL.
 * Only text-like columns (text, varchar, char, name, and JSON as a JSON string) can carry a
 * placeholder; every other type — and every value sent in binary — becomes NULL, so a client never
 * receives text it cannot parse as the column's type.
 *
 * A masker writes straight into the caller's output (row-rewrite.ts) and never more than its
 * `maxBytes`, so a row's room is known before any of it is written.
 */
import type { MaskStyle } from '../policy/types.js';
import type { MaskHasher } from './mask-hash.js';
import { HASH_HEX_LENGTH } from './mask-hash.js';

export interface MaskRule {
  style: MaskStyle;
  /** Characters kept by `partial`. */
  keep?: number;
}

export const PLACEHOLDER = '****';
/** What `write` returns for SQL NULL (the wire's length word for NULL). */
export const NULL_VALUE = -1;

/** Type OIDs whose text form is free text. */
const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18]);
/** json, jsonb: a placeholder goes out as a JSON string. */
const JSON_TYPES = new Set([114, 3802]);

/** What a field's values become, decided once per field. */
export interface FieldMasker {
  /** The most bytes `write` puts out for one value. */
  readonly maxBytes: number;
  /** Writes the masked form of `value[start, end)` at `out[at]`; returns its length, or `NULL_VALUE`. */
  write(value: Buffer, start: number, end: number, out: Buffer, at: number): number;
  /** Set when every value becomes the same (redact, null): callers may skip reading the value. */
  readonly constant?: Buffer | null;
}

const NULL_MASKER: FieldMasker = { maxBytes: 0, write: () => NULL_VALUE, constant: null };

function constantMasker(value: Buffer): FieldMasker {
  return {
    maxBytes: value.length,
    write: (_value, _start, _end, out, at) => {
      // A few bytes: a loop beats a native copy.
      for (let i = 0; i < value.length; i++) out[at + i] = value[i]!;
      return value.length;
    },
    constant: value,
  };
}

const PLACEHOLDER_BYTES = Buffer.from(PLACEHOLDER);
const QUOTE = 0x22;
/** The longest form of one character in JSON text: `\uXXXX`. */
const MAX_JSON_CHAR = 6;

/** A masker for a field of type `typeOid` sent in `format` (0 text, 1 binary). */
export function fieldMasker(rule: MaskRule, typeOid: number, format: number, hasher: MaskHasher): FieldMasker {
  const text = TEXT_TYPES.has(typeOid);
  const json = JSON_TYPES.has(typeOid);
  if (rule.style === 'null' || format !== 0 || (!text && !json)) return NULL_MASKER;
  switch (rule.style) {
    case 'redact':
      return constantMasker(Buffer.from(json ? JSON.stringify(PLACEHOLDER) : PLACEHOLDER, 'utf8'));
    case 'partial': {
      const keep = Math.max(0, rule.keep ?? 0);
      if (!json) return { maxBytes: PLACEHOLDER_BYTES.length + 4 * keep, write: (value, start, end, out, at) => partialBytes(value, start, end, keep, out, at) };
      return {
        maxBytes: 2 + PLACEHOLDER_BYTES.length + MAX_JSON_CHAR * keep,
        write: (value, start, end, out, at) => out.write(JSON.stringify(partial(jsonText(value, start, end), keep)), at, 'utf8'),
      };
    }
    case 'hash':
      if (!json) {
        return {
          maxBytes: HASH_HEX_LENGTH,
          write: (value, start, end, out, at) => {
            hasher.writeHex(value, start, end, out, at);
            return HASH_HEX_LENGTH;
          },
        };
      }
      return {
        maxBytes: HASH_HEX_LENGTH + 2,
        write: (value, start, end, out, at) => {
          out[at] = QUOTE;
          hasher.writeHex(value, start, end, out, at + 1);
          out[at + 1 + HASH_HEX_LENGTH] = QUOTE;
          return HASH_HEX_LENGTH + 2;
        },
      };
  }
}

/** One value masked into a buffer of its own (COPY rows, tests): the bytes, or null for SQL NULL. */
export function maskValue(masker: FieldMasker, value: Buffer): Buffer | null {
  const out = Buffer.allocUnsafe(masker.maxBytes);
  const length = masker.write(value, 0, value.length, out, 0);
  return length === NULL_VALUE ? null : out.subarray(0, length);
}

/** `****` and the last `keep` characters, at most half of the value's characters. */
export function partial(value: string, keep: number): string {
  const chars = [...value];
  const shown = Math.min(keep, Math.floor(chars.length / 2));
  return PLACEHOLDER + (shown > 0 ? chars.slice(chars.length - shown).join('') : '');
}

/** `partial` on UTF-8 bytes without decoding: characters are the bytes that are not continuation bytes. */
function partialBytes(value: Buffer, start: number, end: number, keep: number, out: Buffer, at: number): number {
  let characters = 0;
  for (let i = start; i < end; i++) if ((value[i]! & 0xc0) !== 0x80) characters++;
  let shown = Math.min(keep, characters >> 1);
  let from = end;
  while (shown > 0 && from > start) {
    from--;
    if ((value[from]! & 0xc0) !== 0x80) shown--;
  }
  out[at] = PLACEHOLDER_BYTES[0]!;
  out[at + 1] = PLACEHOLDER_BYTES[1]!;
  out[at + 2] = PLACEHOLDER_BYTES[2]!;
  out[at + 3] = PLACEHOLDER_BYTES[3]!;
  let to = at + PLACEHOLDER_BYTES.length;
  for (let i = from; i < end; i++) out[to++] = value[i]!;
  return to - at;
}

/** A JSON value's text for `partial`: the string itself for a JSON string, else the JSON text. */
function jsonText(value: Buffer, start: number, end: number): string {
  const text = value.toString('utf8', start, end);
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? parsed : text;
  } catch {
    return text;
  }
}
