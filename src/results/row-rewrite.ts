/**
 * Rewrites one DataRow with some fields masked, straight from the payload in one pass: runs of
 * unmasked fields are copied as bytes, masked ones written by their masker, into an append-only
 * output block shared by the rows. This runs for every row of a masked result, so it allocates no
 * buffer per row or value — only the view of the row that goes to the socket.
 */
import { BackendCode } from '../protocol/codes.js';
import { ProtocolError } from '../protocol/errors.js';
import { NULL_VALUE, type FieldMasker } from './mask-values.js';

/** Below this many bytes a JS loop beats Buffer#copy. */
const SHORT = 48;
const BLOCK_BYTES = 128 * 1024;

/**
 * Where rewritten rows are written. Append-only: a row handed out is never written over (the socket
 * may still hold it); a full block is left to the rows that point into it and a new one started.
 * Safe to share between sessions: rows are written synchronously, one at a time.
 */
export class OutputBlock {
  #block: Buffer;
  #used = 0;
  /** Where the row being written goes: the block, or a buffer of its own. */
  target: Buffer;

  constructor(readonly blockBytes = BLOCK_BYTES) {
    this.#block = this.target = Buffer.allocUnsafe(blockBytes);
  }

  /** Makes `target` a buffer with `bytes` free from the returned offset; a row larger than half a block gets a buffer of its own. */
  reserve(bytes: number): number {
    if (bytes > this.blockBytes >> 1) {
      this.target = Buffer.allocUnsafe(bytes);
      return 0;
    }
    if (this.#used + bytes > this.blockBytes) {
      this.#block = Buffer.allocUnsafe(this.blockBytes);
      this.#used = 0;
    }
    this.target = this.#block;
    return this.#used;
  }

  /** The bytes `[at, end)` of `target` are handed out. */
  commit(at: number, end: number): Buffer {
    if (this.target === this.#block) this.#used = end;
    return this.target.subarray(at, end);
  }
}

/** The process's output block (see `OutputBlock`). */
export const sharedOutput = new OutputBlock();

/** The DataRow frame with `maskers[i]` applied to field i (a missing masker leaves the field as it is). */
export function rewriteDataRow(payload: Buffer, maskers: readonly (FieldMasker | undefined)[], output: OutputBlock = sharedOutput): Buffer {
  if (payload.length < 2) throw malformed();
  const count = (payload[0]! << 8) | payload[1]!;
  let room = 5 + payload.length;
  for (let i = 0; i < maskers.length && i < count; i++) room += maskers[i]?.maxBytes ?? 0;
  const first = output.reserve(room);
  const out = output.target;
  out[first] = BackendCode.DataRow;
  out[first + 5] = payload[0]!;
  out[first + 6] = payload[1]!;
  let at = first + 7;
  let offset = 2;
  // Unmasked fields are copied in runs: [run, offset) of the payload is still to be copied.
  let run = offset;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > payload.length) throw malformed();
    const length = int32(payload, offset);
    const start = offset + 4;
    const end = length === NULL_VALUE ? start : start + length;
    if (length < NULL_VALUE || end > payload.length) throw malformed();
    const masker = maskers[i];
    if (masker !== undefined && length !== NULL_VALUE) {
      at = copyBytes(payload, run, offset, out, at);
      const written = masker.write(payload, start, end, out, at + 4);
      writeInt32(out, at, written);
      at += 4 + (written === NULL_VALUE ? 0 : written);
      run = end;
    }
    offset = end;
  }
  if (offset !== payload.length) throw malformed();
  at = copyBytes(payload, run, offset, out, at);
  writeInt32(out, first + 1, at - first - 1);
  return output.commit(first, at);
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
