/**
 * How one value is masked. Styles (the policy's `MaskStyle`):
 *   - `redact`: a fixed placeholder, `****`;
 *   - `partial`: the placeholder followed by the last `keep` characters (`****1234`) — never more
 *     than half of the value, so a short value is not given away whole;
 *   - `hash`: a keyed hash (HMAC-SHA-256 with the deployment's key, first 16 bytes, hex), equal for
 *     equal values so joins and counts still work, useless without the key;
 *   - `null`: SQL NULL.
 * Only text-like columns (text, varchar, char, name, and JSON as a JSON string) can carry a
 * placeholder; every other type — and every value sent in binary — becomes NULL, so a client never
 * receives text it cannot parse as the column's type.
 */
import { createHmac } from 'node:crypto';
import type { MaskStyle } from '../policy/types.js';

export interface MaskRule {
  style: MaskStyle;
  /** Characters kept by `partial`. */
  keep?: number;
}

export const PLACEHOLDER = '****';

/** Type OIDs whose text form is free text. */
const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18]);
/** json, jsonb: a placeholder goes out as a JSON string. */
const JSON_TYPES = new Set([114, 3802]);

/** What a field's values become, decided once per field. */
export interface FieldMasker {
  (value: Buffer): Buffer | null;
  /** Set when every value becomes the same (redact, null): callers may skip reading the value. */
  readonly constant?: Buffer | null;
}

function constantMasker(value: Buffer | null): FieldMasker {
  return Object.assign(() => value, { constant: value });
}

/** A masker for a field of type `typeOid` sent in `format` (0 text, 1 binary). */
export function fieldMasker(rule: MaskRule, typeOid: number, format: number, key: Buffer): FieldMasker {
  const text = TEXT_TYPES.has(typeOid);
  const json = JSON_TYPES.has(typeOid);
  if (rule.style === 'null' || format !== 0 || (!text && !json)) return constantMasker(null);
  const wrap = json ? (s: string) => Buffer.from(JSON.stringify(s), 'utf8') : (s: string) => Buffer.from(s, 'utf8');
  switch (rule.style) {
    case 'redact':
      return constantMasker(wrap(PLACEHOLDER));
    case 'partial': {
      const keep = Math.max(0, rule.keep ?? 0);
      return json ? (value) => wrap(partial(jsonText(value), keep)) : (value) => partialBytes(value, keep);
    }
    case 'hash':
      return (value) => wrap(keyedHash(value, key));
  }
}

/** `****` and the last `keep` characters, at most half of the value's characters. */
export function partial(value: string, keep: number): string {
  const chars = [...value];
  const shown = Math.min(keep, Math.floor(chars.length / 2));
  return PLACEHOLDER + (shown > 0 ? chars.slice(chars.length - shown).join('') : '');
}

const PLACEHOLDER_BYTES = Buffer.from(PLACEHOLDER);

/** `partial` on UTF-8 bytes without decoding: characters are the bytes that are not continuation bytes. */
function partialBytes(value: Buffer, keep: number): Buffer {
  let characters = 0;
  for (let i = 0; i < value.length; i++) if ((value[i]! & 0xc0) !== 0x80) characters++;
  let shown = Math.min(keep, Math.floor(characters / 2));
  let start = value.length;
  while (shown > 0 && start > 0) {
    start--;
    if ((value[start]! & 0xc0) !== 0x80) shown--;
  }
  const out = Buffer.allocUnsafe(PLACEHOLDER_BYTES.length + value.length - start);
  PLACEHOLDER_BYTES.copy(out, 0);
  value.copy(out, PLACEHOLDER_BYTES.length, start);
  return out;
}

export function keyedHash(value: Uint8Array, key: Buffer): string {
  return createHmac('sha256', key).update(value).digest('hex').slice(0, 32);
}

/** A JSON value's text for `partial`: the string itself for a JSON string, else the JSON text. */
function jsonText(value: Buffer): string {
  const text = value.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? parsed : text;
  } catch {
    return text;
  }
}
