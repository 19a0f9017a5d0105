import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import type { Frame } from '../../src/protocol/frame-reader.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { StartupCode } from '../../src/protocol/codes.js';
import { chunkings, cstr, frameEnds, int32, readAll, tagged, untagged } from '../support/wire.js';

const plain = (frames: Frame[]) => frames.map((f) => ({ code: f.code, payload: [...f.payload], raw: [...f.raw] }));

const messages = [
  tagged('Q', cstr('select 1')),
  tagged('S'),
  tagged('d', Buffer.alloc(3000, 7)),
  tagged('P', cstr(''), cstr('select $1'), Buffer.from([0, 0])),
  tagged('H'),
];

test('a single frame: code, payload and raw bytes', () => {
  const [frame, ...rest] = readAll([messages[0]!]);
  assert.equal(rest.length, 0);
  assert.equal(frame!.code, 'Q'.charCodeAt(0));
  assert.deepEqual(frame!.payload, cstr('select 1'));
  assert.deepEqual(frame!.raw, messages[0]);
});

test('many frames in one chunk, and every split of them, give the same frames', () => {
  const bytes = Buffer.concat(messages);
  const expected = plain(readAll([bytes]));
  assert.equal(expected.length, messages.length);
  assert.deepEqual(expected.map((f) => Buffer.from(f.raw)), messages);
  for (const [label, chunks] of chunkings(bytes, frameEnds(messages))) {
    assert.deepEqual(plain(readAll(chunks)), expected, label);
  }
});

test('every single message split at every offset', () => {
  for (const message of messages.filter((m) => m.length < 100)) {
    for (let at = 1; at < message.length; at++) {
      const frames = readAll([message.subarray(0, at), message.subarray(at)]);
      assert.deepEqual(frames.map((f) => f.raw), [message], `split at ${at}`);
    }
  }
});

test('a frame within one chunk is a view of that chunk (no copy)', () => {
  const chunk = Buffer.alloc(frameEnds(messages).at(-1)!); // not pooled: `.buffer` identifies it
  Buffer.concat(messages).copy(chunk);
  const frames = new FrameReader({ maxFrameBytes: 1 << 20, startup: false }).push(chunk);
  let at = 0;
  for (const frame of frames) {
    assert.equal(frame.raw.buffer, chunk.buffer);
    assert.equal(frame.raw.byteOffset, chunk.byteOffset + at);
    assert.equal(frame.payload.byteOffset, chunk.byteOffset + at + 5);
    at += frame.raw.length;
  }
});

test('after a frame that spans chunks, the frames of the last chunk are still views of it', () => {
  const [a, b, c] = [messages[0]!, messages[1]!, messages[4]!];
  const reader = new FrameReader({ maxFrameBytes: 1 << 20, startup: false });
  assert.deepEqual(reader.push(a.subarray(0, 4)), []);
  const joined = Buffer.concat([a.subarray(4), b, c]);
  const last = Buffer.alloc(joined.length); // not from the shared pool, so `.buffer` identifies it
  joined.copy(last);
  const frames = reader.push(last);
  assert.deepEqual(frames.map((f) => f.raw), [a, b, c]);
  assert.notEqual(frames[0]!.raw.buffer, last.buffer, 'the spanning frame is a copy');
  assert.equal(frames[1]!.raw.buffer, last.buffer);
  assert.equal(frames[1]!.raw.byteOffset, last.byteOffset + a.length - 4);
  assert.equal(frames[2]!.raw.buffer, last.buffer);
});

test('a partial frame stays buffered until complete', () => {
  const reader = new FrameReader({ maxFrameBytes: 1 << 20, startup: false });
  const big = messages[2]!;
  assert.deepEqual(reader.push(big.subarray(0, 3)), []);
  assert.deepEqual(reader.push(big.subarray(3, 1000)), []);
  assert.equal(reader.bufferedBytes, 1000);
  const frames = reader.push(Buffer.concat([big.subarray(1000), messages[1]!, messages[0]!.subarray(0, 4)]));
  assert.deepEqual(frames.map((f) => f.raw), [big, messages[1]]);
  assert.equal(reader.bufferedBytes, 4);
});

test('an empty push returns nothing', () => {
  const reader = new FrameReader({ maxFrameBytes: 100, startup: false });
  assert.deepEqual(reader.push(Buffer.alloc(0)), []);
});

function expectCode(code: string) {
  return (error: unknown) => error instanceof ProtocolError && error.code === code;
}

test('lengths below 4 are bad-length, in any split', () => {
  for (const length of [0, 3, -1, -2147483648]) {
    const bytes = Buffer.concat([Buffer.from('Q'), int32(length), Buffer.alloc(8)]);
    for (const [label, chunks] of chunkings(bytes, [5])) {
      assert.throws(() => readAll(chunks), expectCode('bad-length'), `${length} ${label}`);
    }
  }
});

test('a length over the limit fails as soon as the header arrives', () => {
  const reader = new FrameReader({ maxFrameBytes: 1000, startup: false });
  assert.deepEqual(reader.push(Buffer.from([0x51, 0x7f, 0xff])), []);
  assert.throws(() => reader.push(Buffer.from([0xff, 0xff])), expectCode('frame-too-large'));
  assert.throws(() => readAll([tagged('d', Buffer.alloc(997))], 1000), expectCode('frame-too-large'));
  assert.equal(readAll([tagged('d', Buffer.alloc(996))], 1000).length, 1);
});

test('the reader is unusable after an error', () => {
  const reader = new FrameReader({ maxFrameBytes: 10, startup: false });
  assert.throws(() => reader.push(tagged('Q', Buffer.alloc(20))), expectCode('frame-too-large'));
  assert.throws(() => reader.push(tagged('S')), expectCode('frame-too-large'));
  assert.throws(() => reader.drain(), expectCode('frame-too-large'));
});

test('a truncated frame yields nothing and stays buffered', () => {
  const message = messages[0]!;
  const reader = new FrameReader({ maxFrameBytes: 100, startup: false });
  assert.deepEqual(reader.push(message.subarray(0, message.length - 1)), []);
  assert.equal(reader.bufferedBytes, message.length - 1);
});

test('startup phase: untagged frames, one per call, then tagged after endStartup', () => {
  const ssl = untagged(int32(StartupCode.SSLRequest));
  const startup = untagged(int32(StartupCode.ProtocolV3), cstr('user'), cstr('alice'), cstr(''));
  const password = tagged('p', cstr('secret'));
  const bytes = Buffer.concat([ssl, startup, password]);
  for (const [label, chunks] of chunkings(bytes, frameEnds([ssl, startup, password]))) {
    const reader = new FrameReader({ maxFrameBytes: 1000, startup: true });
    const frames: Frame[] = [];
    for (const chunk of chunks) {
      let batch = reader.push(chunk);
      while (batch.length > 0) {
        assert.ok(!reader.inStartup || batch.length === 1, label);
        for (const frame of batch) {
          frames.push(frame);
          if (frame.code === 0 && frame.payload.readInt32BE(0) === StartupCode.ProtocolV3) reader.endStartup();
        }
        batch = reader.drain();
      }
    }
    assert.deepEqual(frames.map((f) => [f.code, f.raw]), [[0, ssl], [0, startup], [0x70, password]], label);
  }
});

test('startup phase: short, oversized and TLS starts fail with their codes', () => {
  const startup = (bytes: Buffer) => new FrameReader({ maxFrameBytes: 1 << 20, startup: true }).push(bytes);
  assert.throws(() => startup(int32(4)), expectCode('bad-length'));
  assert.throws(() => startup(Buffer.concat([int32(7), Buffer.alloc(3)])), expectCode('bad-length'));
  assert.throws(() => startup(int32(10001)), expectCode('frame-too-large'));
  // A TLS ClientHello record header: handshake (0x16), TLS 1.0 (0x0301), length.
  assert.throws(() => startup(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), expectCode('direct-tls'));
  const ok = startup(untagged(int32(StartupCode.SSLRequest)));
  assert.equal(ok.length, 1);
});

test('protocol errors map to SQLSTATE 08P01', () => {
  try {
    readAll([Buffer.concat([Buffer.from('Q'), int32(1)])]);
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.sqlstate, '08P01');
    assert.deepEqual(error.toPgErrorFields(), { severity: 'FATAL', code: '08P01', message: error.message });
  }
});

test('unshift gives bytes back in front of a partial frame', () => {
  const [a, b, c] = [messages[0]!, messages[1]!, messages[3]!];
  const reader = new FrameReader({ maxFrameBytes: 1 << 20, startup: false });
  const frames = reader.push(Buffer.concat([a, b, c.subarray(0, 3)]));
  assert.equal(frames.length, 2);
  reader.unshift(frames[1]!.raw);
  assert.deepEqual(reader.drain().map((f) => f.raw), [b]);
  assert.deepEqual(reader.push(c.subarray(3)).map((f) => f.raw), [c]);
});
