/**
 * Rewrites one DataRow with some fields masked, straight from the payload: unmasked values are
 * copied as bytes, masked ones replaced, in one allocation. This runs for every row of a masked
 * result, so it avoids splitting the row into objects, and copies short values byte by byte (a
 * native copy costs more than the loop for the few bytes most fields hold).
 */
import { BackendCode } from '../protocol/codes.js';
import { ProtocolError } from '../protocol/errors.js';
import type { FieldMasker } from './mask-values.js';

const NULL_FIELD = -1;
/** Below this many bytes a JS loop beats Buffer#copy. */
const SHORT = 48;

/** The DataRow frame with `maskers[i]` applied to field i (a missing masker leaves the field as it is). */
export function rewriteDataRow(payload: Buffer, maskers: readonly (FieldMasker | undefined)[]): Buffer {
  const count = (payload[0]! << 8) | payload[1]!;
  const replaced: (Buffer | null | undefined)[] = new Array(count);
  let size = 2;
  let offset = 2;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > payload.length) throw malformed();
    const length = int32(payload, offset);
    const start = offset + 4;
    const end = length === NULL_FIELD ? start : start + length;
    if (length < NULL_FIELD || end > payload.length) throw malformed();
    const masker = maskers[i];
    if (masker !== undefined && length !== NULL_FIELD) {
      const value = masker.constant !== undefined ? masker.constant : masker(payload.subarray(start, end));
      replaced[i] = value;
      size += 4 + (value === null ? 0 : value.length);
    } else size += 4 + (end - start);
    offset = end;
  }
  if (offset !== payload.length) throw malformed();

  const out = Buffer.allocUnsafe(5 + size);
  out[0] = BackendCode.DataRow;
  writeInt32(out, 1, 4 + size);
  out[5] = count >> 8;
  out[6] = count & 0xff;
  let at = 7;
  offset = 2;
  for (let i = 0; i < count; i++) {
    const length = int32(payload, offset);
    const start = offset + 4;
    const end = length === NULL_FIELD ? start : start + length;
    const value = replaced[i];
    if (value === undefined) {
      at = copyBytes(payload, start - 4, end, out, at);
    } else if (value === null) {
      writeInt32(out, at, NULL_FIELD);
      at += 4;
    } else {
      writeInt32(out, at, value.length);
      at = copyBytes(value, 0, value.length, out, at + 4);
    }
    offset = end;
  }
  return out;
}

function int32(b: Buffer, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function writeInt32(b: Buffer, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}

function copyBytes(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start >= SHORT) return at + from.copy(to, at, start, end);
  for (let i = start; i < end; i++) to[at++] = from[i]!;
  return at;
}

function malformed(): ProtocolError {
  return new ProtocolError('malformed-message', 'malformed DataRow message: field lengths do not match the message');
}
