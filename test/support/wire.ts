/**
 * Fixture builders for byte-level protocol tests. They build frames by hand, independently of the
 * encoders in src/protocol, so encoder output can be compared with bytes written from the spec.
 */
import { FrameReader } from '../../src/protocol/frame-reader.js';
import type { Frame } from '../../src/protocol/frame-reader.js';

export const cstr = (value: string): Buffer => Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);

export function int16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeInt16BE(value);
  return buf;
}

export function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(value);
  return buf;
}

export const byte = (value: number | string): Buffer => Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]);

/** A tagged frame: type letter, int32 length (counting itself), body. */
export function tagged(letter: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([byte(letter), int32(payload.length + 4), payload]);
}

/** An untagged startup-phase frame: int32 length, body. */
export function untagged(...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([int32(payload.length + 4), payload]);
}

/** `int32 length + bytes`, or -1 for null: how values travel in Bind, DataRow, FunctionCall. */
export const lengthPrefixed = (value: Buffer | string | null): Buffer =>
  value === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(value)), Buffer.from(value)]);

/**
 * Ways to cut `bytes` into TCP chunks: whole; split at every offset near the start, middle and end
 * of each frame boundary in `frameEnds`; byte by byte. Each entry is a label and its chunks.
 */
export function chunkings(bytes: Buffer, frameEnds: number[] = [bytes.length]): Array<[string, Buffer[]]> {
  const cuts = new Set<number>();
  let start = 0;
  for (const end of frameEnds) {
    const middle = Math.floor((start + end) / 2);
    for (const at of [start + 1, start + 2, start + 4, start + 5, start + 6, middle, end - 1, end]) {
      if (at > 0 && at < bytes.length) cuts.add(at);
    }
    start = end;
  }
  const out: Array<[string, Buffer[]]> = [['whole', [bytes]]];
  for (const at of [...cuts].sort((a, b) => a - b)) out.push([`split at ${at}`, [bytes.subarray(0, at), bytes.subarray(at)]]);
  out.push(['byte by byte', [...bytes].map((b) => Buffer.from([b]))]);
  return out;
}

/** Offsets where each frame ends, for `chunkings`. */
export function frameEnds(frames: Buffer[]): number[] {
  const ends: number[] = [];
  let at = 0;
  for (const frame of frames) ends.push((at += frame.length));
  return ends;
}

/** Pushes chunks into a tagged-mode reader and collects every frame; fails if bytes are left over. */
export function readAll(chunks: Buffer[], maxFrameBytes = 1 << 30): Frame[] {
  const reader = new FrameReader({ maxFrameBytes, startup: false });
  const frames = chunks.flatMap((chunk) => reader.push(chunk));
  if (reader.bufferedBytes !== 0) throw new Error(`${reader.bufferedBytes} bytes left in the reader`);
  return frames;
}

/** Builds a Frame for a decoder from one encoded tagged frame. */
export function asFrame(bytes: Buffer): Frame {
  const frames = readAll([bytes]);
  if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`);
  return frames[0]!;
}

/** Builds a Frame for a decoder from one encoded startup-phase (untagged) frame. */
export function asStartupFrame(bytes: Buffer): Frame {
  const reader = new FrameReader({ maxFrameBytes: 1 << 30, startup: true });
  const frames = reader.push(bytes);
  if (frames.length !== 1 || reader.bufferedBytes !== 0) throw new Error('expected exactly one startup frame');
  return frames[0]!;
}
