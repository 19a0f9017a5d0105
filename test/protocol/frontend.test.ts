import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fe from '../../src/protocol/encode-frontend.js';
import { decodeFrontend, decodePassword, decodeSaslInitialResponse } from '../../src/protocol/frontend.js';
import type { FrontendMessage, FrontendPhase } from '../../src/protocol/frontend.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { StartupCode } from '../../src/protocol/codes.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { asFrame, asStartupFrame, byte, chunkings, cstr, frameEnds, int16, int32, lengthPrefixed, readAll, tagged, untagged } from '../support/wire.js';

/** [label, encoded, phase, expected decoded message] for every frontend message. */
const cases: Array<[string, Buffer, FrontendPhase, FrontendMessage]> = [
  ['StartupMessage', fe.startupMessage({ user: 'alice', database: 'shop', options: '-c search_path=x' }), 'startup', {
    type: 'StartupMessage',
    protocolVersion: 196608,
    parameters: { user: 'alice', database: 'shop', options: '-c search_path=x' },
  }],
  ['SSLRequest', fe.sslRequest(), 'startup', { type: 'SSLRequest' }],
  ['GSSENCRequest', fe.gssencRequest(), 'startup', { type: 'GSSENCRequest' }],
  ['CancelRequest', fe.cancelRequest(4242, Buffer.from([1, 2, 3, 4])), 'startup', {
    type: 'CancelRequest', processId: 4242, secretKey: Buffer.from([1, 2, 3, 4]),
  }],
  ['PasswordMessage', fe.passwordMessage('md5abc'), 'auth', { type: 'PasswordMessage', data: cstr('md5abc') }],
  ['Terminate during auth', fe.terminate(), 'auth', { type: 'Terminate' }],
  ['Query', fe.query('select \'ü\''), 'ready', { type: 'Query', sql: 'select \'ü\'' }],
  ['Parse', fe.parse('s1', 'select $1, $2', [23, 4294967295]), 'ready', { type: 'Parse', name: 's1', sql: 'select $1, $2', paramTypes: [23, 4294967295] }],
  ['Bind', fe.bind({ portal: 'p', statement: 's1', paramFormats: [0, 1], params: ['42', null, Buffer.from([0, 1])], resultFormats: [1] }), 'ready', {
    type: 'Bind', portal: 'p', statement: 's1', paramFormats: [0, 1], params: [Buffer.from('42'), null, Buffer.from([0, 1])], resultFormats: [1],
  }],
  ['Describe S', fe.describe('S', 's1'), 'ready', { type: 'Describe', target: 'S', name: 's1' }],
  ['Describe P', fe.describe('P'), 'ready', { type: 'Describe', target: 'P', name: '' }],
  ['Execute', fe.execute('p', 100), 'ready', { type: 'Execute', portal: 'p', maxRows: 100 }],
  ['Close', fe.close('P', 'p'), 'ready', { type: 'Close', target: 'P', name: 'p' }],
  ['Sync', fe.sync(), 'ready', { type: 'Sync' }],
  ['Flush', fe.flush(), 'ready', { type: 'Flush' }],
  ['Terminate', fe.terminate(), 'ready', { type: 'Terminate' }],
  ['CopyData', fe.copyData(Buffer.from('1\tx\n')), 'ready', { type: 'CopyData', data: Buffer.from('1\tx\n') }],
  ['CopyDone', fe.copyDone(), 'ready', { type: 'CopyDone' }],
  ['CopyFail', fe.copyFail('aborted'), 'ready', { type: 'CopyFail', message: 'aborted' }],
  ['FunctionCall', fe.functionCall({ functionOid: 1598, argFormats: [1], args: [Buffer.from([0, 0, 0, 1]), null], resultFormat: 1 }), 'ready', {
    type: 'FunctionCall', functionOid: 1598, argFormats: [1], args: [Buffer.from([0, 0, 0, 1]), null], resultFormat: 1,
  }],
];

const decode = (bytes: Buffer, phase: FrontendPhase) => decodeFrontend(phase === 'startup' ? asStartupFrame(bytes) : asFrame(bytes), phase);

test('every frontend message round-trips through encode and decode', () => {
  for (const [label, bytes, phase, expected] of cases) assert.deepEqual(decode(bytes, phase), expected, label);
});

test('encoders produce the exact bytes of the spec', () => {
  assert.deepEqual(fe.query('select 1'), tagged('Q', cstr('select 1')));
  assert.deepEqual(fe.sync(), Buffer.from([0x53, 0, 0, 0, 4]));
  assert.deepEqual(fe.sslRequest(), Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
  assert.deepEqual(fe.startupMessage({ user: 'u' }), untagged(int32(196608), cstr('user'), cstr('u'), cstr('')));
  assert.deepEqual(
    fe.bind({ statement: 's', params: ['1', null], resultFormats: [1] }),
    tagged('B', cstr(''), cstr('s'), int16(0), int16(2), lengthPrefixed('1'), lengthPrefixed(null), int16(1), int16(1)),
  );
  assert.deepEqual(fe.describe('S', 'x'), tagged('D', byte('S'), cstr('x')));
  assert.deepEqual(fe.execute('', 0), tagged('E', cstr(''), int32(0)));
  assert.deepEqual(fe.cancelRequest(7, Buffer.from([9, 9, 9, 9])), untagged(int32(StartupCode.CancelRequest), int32(7), Buffer.from([9, 9, 9, 9])));
  assert.deepEqual(fe.saslInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc')), tagged('p', cstr('SCRAM-SHA-256'), lengthPrefixed('n,,n=,r=abc')));
});

test('a pipeline of every ready-phase message decodes the same in every chunking', () => {
  const ready = cases.filter(([, , phase]) => phase === 'ready');
  const bytes = Buffer.concat(ready.map(([, b]) => b));
  const expected = ready.map(([, , , message]) => message);
  for (const [label, chunks] of chunkings(bytes, frameEnds(ready.map(([, b]) => b)))) {
    assert.deepEqual(readAll(chunks).map((f) => decodeFrontend(f, 'ready')), expected, label);
  }
});

test('SASLInitialResponse and password helpers', () => {
  const message = decode(fe.saslInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc')), 'auth');
  assert.equal(message.type, 'PasswordMessage');
  assert.deepEqual(decodeSaslInitialResponse(message.data), { mechanism: 'SCRAM-SHA-256', response: Buffer.from('n,,n=,r=abc') });
  assert.deepEqual(decodeSaslInitialResponse(Buffer.concat([cstr('SCRAM-SHA-256'), int32(-1)])), { mechanism: 'SCRAM-SHA-256', response: null });
  assert.equal(decodePassword(cstr('hunter2')), 'hunter2');
  assert.throws(() => decodeSaslInitialResponse(Buffer.concat([cstr('SCRAM-SHA-256'), int32(10), Buffer.from('short')])), isCode('malformed-message'));
  assert.throws(() => decodePassword(Buffer.from('no nul')), isCode('malformed-message'));
});

function isCode(code: string) {
  return (error: unknown) => error instanceof ProtocolError && error.code === code;
}

test('malformed payloads are rejected with malformed-message', () => {
  const bad: Array<[string, Buffer]> = [
    ['Query without NUL', tagged('Q', Buffer.from('select 1'))],
    ['Query with trailing bytes', tagged('Q', cstr('select 1'), Buffer.from('x'))],
    ['Parse count past the end', tagged('P', cstr(''), cstr('select 1'), int16(3), int32(23))],
    ['Bind parameter past the end', tagged('B', cstr(''), cstr(''), int16(0), int16(1), int32(100), Buffer.from('ab'))],
    ['Bind negative length other than -1', tagged('B', cstr(''), cstr(''), int16(0), int16(1), int32(-2), int16(0))],
    ['Bind without result formats', tagged('B', cstr(''), cstr(''), int16(0), int16(0))],
    ['Describe bad target', tagged('D', byte('X'), cstr(''))],
    ['Execute short', tagged('E', cstr(''), int16(0))],
    ['Sync with body', tagged('S', Buffer.from([0]))],
    ['FunctionCall without result format', tagged('F', int32(1598), int16(0), int16(0))],
  ];
  for (const [label, bytes] of bad) assert.throws(() => decode(bytes, 'ready'), isCode('malformed-message'), label);
});

test('startup packets: versions, layout and cancel keys', () => {
  assert.throws(() => decode(untagged(int32(2 << 16), cstr('user'), cstr('u'), cstr('')), 'startup'), isCode('unsupported-protocol'));
  const newer = decode(untagged(int32((3 << 16) | 2), cstr('user'), cstr('u'), cstr('_pq_.x'), cstr('1'), cstr('')), 'startup');
  assert.deepEqual(newer, { type: 'StartupMessage', protocolVersion: (3 << 16) | 2, parameters: { user: 'u', '_pq_.x': '1' } });
  assert.throws(() => decode(untagged(int32(196608), cstr('user'), cstr('u')), 'startup'), isCode('malformed-message'));
  assert.throws(() => decode(untagged(int32(196608), cstr('user'), Buffer.from('u')), 'startup'), isCode('malformed-message'));
  assert.throws(() => decode(untagged(int32(StartupCode.SSLRequest), int32(0)), 'startup'), isCode('malformed-message'));
  assert.throws(() => decode(untagged(int32(StartupCode.CancelRequest), int32(1), int16(0)), 'startup'), isCode('malformed-message'));
  const proto = decode(untagged(int32(196608), cstr('__proto__'), cstr('x'), cstr('user'), cstr('u'), cstr('')), 'startup');
  assert.equal(proto.type, 'StartupMessage');
  assert.deepEqual(Object.entries(proto.parameters), [['__proto__', 'x'], ['user', 'u']]);
  assert.equal(Object.getPrototypeOf(proto.parameters), Object.prototype);
  const longKey = decode(untagged(int32(StartupCode.CancelRequest), int32(1), Buffer.alloc(32, 5)), 'startup');
  assert.deepEqual(longKey, { type: 'CancelRequest', processId: 1, secretKey: Buffer.alloc(32, 5) });
});

test('phases: unknown and out-of-place messages', () => {
  assert.throws(() => decode(tagged('Z'), 'ready'), isCode('unknown-message'));
  assert.throws(() => decode(tagged('p', cstr('pw')), 'ready'), isCode('unknown-message'));
  assert.throws(() => decode(fe.query('select 1'), 'auth'), isCode('unexpected-message'));
  assert.throws(() => decodeFrontend(asFrame(fe.query('select 1')), 'startup'), isCode('unexpected-message'));
  assert.throws(() => decodeFrontend(asStartupFrame(fe.sslRequest()), 'ready'), isCode('unknown-message'));
});

test('text that is not UTF-8 is refused, not replaced', () => {
  const bytes = tagged('Q', Buffer.from([0x73, 0xc3, 0x28, 0x00]));
  try {
    decode(bytes, 'ready');
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, 'invalid-utf8');
    assert.equal(error.sqlstate, '22021');
  }
});

test('encoders refuse values the wire cannot carry', () => {
  assert.throws(() => fe.query('select 1\0; drop table x'), isCode('invalid-value'));
  assert.throws(() => fe.execute('', 2 ** 31), isCode('invalid-value'));
  assert.throws(() => fe.bind({ params: new Array(70000).fill(null) }), isCode('invalid-value'));
});

test('a Bind with 65535 parameters round-trips (counts are unsigned)', () => {
  const params = new Array(65535).fill(null).map((_, i) => (i % 2 ? null : String(i)));
  const decoded = decode(fe.bind({ params }), 'ready');
  assert.equal(decoded.type, 'Bind');
  assert.equal(decoded.params.length, 65535);
  assert.deepEqual(decoded.params[2], Buffer.from('2'));
});

test('the reader and decoder agree with a real startup conversation split anywhere', () => {
  const startup = fe.startupMessage({ user: 'a', database: 'b' });
  const password = fe.passwordMessage('pw');
  const bytes = Buffer.concat([startup, password, fe.query('select 1')]);
  for (const [label, chunks] of chunkings(bytes, frameEnds([startup, password]))) {
    const reader = new FrameReader({ maxFrameBytes: 1 << 20, startup: true });
    const seen: string[] = [];
    let phase: FrontendPhase = 'startup';
    for (const chunk of chunks) {
      for (let batch = reader.push(chunk); batch.length > 0; batch = reader.drain()) {
        for (const frame of batch) {
          const message = decodeFrontend(frame, phase);
          seen.push(message.type);
          if (message.type === 'StartupMessage') (reader.endStartup(), (phase = 'auth'));
          else if (message.type === 'PasswordMessage') phase = 'ready';
        }
      }
    }
    assert.deepEqual(seen, ['StartupMessage', 'PasswordMessage', 'Query'], label);
  }
});
