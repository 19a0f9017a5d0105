import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as be from '../../src/protocol/encode-backend.js';
import { decodeBackend, decodeDataRow } from '../../src/protocol/backend.js';
import type { BackendMessage } from '../../src/protocol/backend.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { PgError, parsePgErrorFields } from '../../src/protocol/pg-error.js';
import type { PgErrorFields } from '../../src/protocol/pg-error.js';
import { asFrame, byte, chunkings, cstr, frameEnds, int16, int32, lengthPrefixed, readAll, tagged } from '../support/wire.js';

const fullError: PgErrorFields = {
  severity: 'ERROR',
  code: '42501',
  message: 'statement denied by policy',
  detail: 'rules: no-delete-without-where',
  hint: 'add a WHERE clause',
  position: '8',
  internalPosition: '3',
  internalQuery: 'select 1',
  where: 'PL/pgSQL function f() line 3',
  schema: 'public',
  table: 'orders',
  column: 'email',
  dataType: 'text',
  constraint: 'orders_pkey',
  file: 'guard.ts',
  line: '42',
  routine: 'decide',
};

const field = { name: 'id', tableOid: 16384, columnNumber: 1, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 };

/** Plain objects for comparison (DataRow is lazy: compare its values). */
function plain(message: BackendMessage): unknown {
  return message.type === 'DataRow' ? { type: 'DataRow', columnCount: message.columnCount, values: message.values } : message;
}

const cases: Array<[string, Buffer, unknown]> = [
  ['AuthenticationOk', be.authenticationOk(), { type: 'AuthenticationOk' }],
  ['AuthenticationCleartextPassword', be.authenticationCleartextPassword(), { type: 'AuthenticationCleartextPassword' }],
  ['AuthenticationMD5Password', be.authenticationMD5Password(Buffer.from([1, 2, 3, 4])), { type: 'AuthenticationMD5Password', salt: Buffer.from([1, 2, 3, 4]) }],
  ['AuthenticationSASL', be.authenticationSASL(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']), { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'] }],
  ['AuthenticationSASLContinue', be.authenticationSASLContinue(Buffer.from('r=abc,s=xyz,i=4096')), { type: 'AuthenticationSASLContinue', data: Buffer.from('r=abc,s=xyz,i=4096') }],
  ['AuthenticationSASLFinal', be.authenticationSASLFinal(Buffer.from('v=sig')), { type: 'AuthenticationSASLFinal', data: Buffer.from('v=sig') }],
  ['ParameterStatus', be.parameterStatus('client_encoding', 'UTF8'), { type: 'ParameterStatus', name: 'client_encoding', value: 'UTF8' }],
  ['BackendKeyData', be.backendKeyData(123, Buffer.from([9, 8, 7, 6])), { type: 'BackendKeyData', processId: 123, secretKey: Buffer.from([9, 8, 7, 6]) }],
  ['ReadyForQuery I', be.readyForQuery('I'), { type: 'ReadyForQuery', status: 'I' }],
  ['ReadyForQuery T', be.readyForQuery('T'), { type: 'ReadyForQuery', status: 'T' }],
  ['ReadyForQuery E', be.readyForQuery('E'), { type: 'ReadyForQuery', status: 'E' }],
  ['RowDescription', be.rowDescription([field, { name: 'n' }]), {
    type: 'RowDescription',
    fields: [field, { name: 'n', tableOid: 0, columnNumber: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 }],
  }],
  ['DataRow', be.dataRow(['1', null, Buffer.from([0xff]), '']), { type: 'DataRow', columnCount: 4, values: [Buffer.from('1'), null, Buffer.from([0xff]), Buffer.alloc(0)] }],
  ['CommandComplete', be.commandComplete('INSERT 0 3'), { type: 'CommandComplete', tag: 'INSERT 0 3' }],
  ['ErrorResponse', be.errorResponse(fullError), { type: 'ErrorResponse', fields: fullError }],
  ['NoticeResponse', be.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' }), { type: 'NoticeResponse', fields: { severity: 'NOTICE', code: '00000', message: 'hi' } }],
  ['EmptyQueryResponse', be.emptyQueryResponse(), { type: 'EmptyQueryResponse' }],
  ['ParseComplete', be.parseComplete(), { type: 'ParseComplete' }],
  ['BindComplete', be.bindComplete(), { type: 'BindComplete' }],
  ['CloseComplete', be.closeComplete(), { type: 'CloseComplete' }],
  ['NoData', be.noData(), { type: 'NoData' }],
  ['ParameterDescription', be.parameterDescription([23, 25]), { type: 'ParameterDescription', typeOids: [23, 25] }],
  ['PortalSuspended', be.portalSuspended(), { type: 'PortalSuspended' }],
  ['CopyInResponse', be.copyInResponse(0, [0, 0]), { type: 'CopyInResponse', format: 0, columnFormats: [0, 0] }],
  ['CopyOutResponse', be.copyOutResponse(1, [1]), { type: 'CopyOutResponse', format: 1, columnFormats: [1] }],
  ['CopyBothResponse', be.copyBothResponse(0, []), { type: 'CopyBothResponse', format: 0, columnFormats: [] }],
  ['CopyData', be.copyData(Buffer.from('a\n')), { type: 'CopyData', data: Buffer.from('a\n') }],
  ['CopyDone', be.copyDone(), { type: 'CopyDone' }],
  ['NotificationResponse', be.notificationResponse(77, 'jobs', 'payload ✓'), { type: 'NotificationResponse', processId: 77, channel: 'jobs', payload: 'payload ✓' }],
  ['NegotiateProtocolVersion', be.negotiateProtocolVersion(0, ['_pq_.compression']), { type: 'NegotiateProtocolVersion', newestMinor: 0, unrecognizedOptions: ['_pq_.compression'] }],
  ['FunctionCallResponse', be.functionCallResponse(Buffer.from([0, 1])), { type: 'FunctionCallResponse', value: Buffer.from([0, 1]) }],
  ['FunctionCallResponse null', be.functionCallResponse(null), { type: 'FunctionCallResponse', value: null }],
];

test('every backend message round-trips through encode and decode', () => {
  for (const [label, bytes, expected] of cases) assert.deepEqual(plain(decodeBackend(asFrame(bytes))), expected, label);
});

test('encoders produce the exact bytes of the spec', () => {
  assert.deepEqual(be.readyForQuery('I'), Buffer.from([0x5a, 0, 0, 0, 5, 0x49]));
  assert.deepEqual(be.authenticationOk(), Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
  assert.deepEqual(be.authenticationSASL(['SCRAM-SHA-256']), tagged('R', int32(10), cstr('SCRAM-SHA-256'), Buffer.from([0])));
  assert.deepEqual(be.commandComplete('SELECT 1'), tagged('C', cstr('SELECT 1')));
  assert.deepEqual(be.dataRow(['1', null]), tagged('D', int16(2), lengthPrefixed('1'), lengthPrefixed(null)));
  assert.deepEqual(
    be.rowDescription([field]),
    tagged('T', int16(1), cstr('id'), int32(16384), int16(1), int32(23), int16(4), int32(-1), int16(0)),
  );
  assert.deepEqual(
    be.errorResponse({ severity: 'FATAL', code: '28P01', message: 'password authentication failed for user "a"' }),
    tagged('E', byte('S'), cstr('FATAL'), byte('V'), cstr('FATAL'), byte('C'), cstr('28P01'), byte('M'), cstr('password authentication failed for user "a"'), Buffer.from([0])),
  );
  assert.deepEqual(be.negotiateProtocolVersion(0, ['_pq_.a']), tagged('v', int32(0), int32(1), cstr('_pq_.a')));
  assert.deepEqual(be.sslResponse(false), Buffer.from('N'));
  assert.deepEqual(be.gssencResponse(false), Buffer.from('N'));
});

test('a response stream decodes the same in every chunking', () => {
  const frames = cases.map(([, bytes]) => bytes);
  const bytes = Buffer.concat(frames);
  const expected = cases.map(([, , message]) => message);
  for (const [label, chunks] of chunkings(bytes, frameEnds(frames))) {
    assert.deepEqual(readAll(chunks).map((f) => plain(decodeBackend(f))), expected, label);
  }
});

test('DataRow values are views of the frame and decoded only on demand', () => {
  const frame = asFrame(be.dataRow(['abc', null]));
  const row = decodeBackend(frame);
  assert.equal(row.type, 'DataRow');
  assert.equal(row.columnCount, 2);
  assert.equal(row.values[0]!.buffer, frame.raw.buffer);
  assert.equal(row.values[0]!.byteOffset, frame.payload.byteOffset + 2 + 4);
  assert.deepEqual(decodeDataRow(frame.payload), [Buffer.from('abc'), null]);
  // A malformed row passes decodeBackend (lazy) and fails when its values are read.
  const bad = decodeBackend(asFrame(tagged('D', int16(2), lengthPrefixed('abc'))));
  assert.equal(bad.type, 'DataRow');
  assert.throws(() => bad.values, (e: unknown) => e instanceof ProtocolError && e.code === 'malformed-message');
});

test('error fields: V severity wins, unknown field types are skipped', () => {
  const payload = Buffer.concat([byte('S'), cstr('FEHLER'), byte('V'), cstr('ERROR'), byte('C'), cstr('42P01'), byte('M'), cstr('nope'), byte('Z'), cstr('future'), Buffer.from([0])]);
  assert.deepEqual(parsePgErrorFields(payload), { severity: 'ERROR', code: '42P01', message: 'nope' });
  const old = Buffer.concat([byte('S'), cstr('WARNING'), byte('C'), cstr('01000'), byte('M'), cstr('w'), Buffer.from([0])]);
  assert.equal(parsePgErrorFields(old).severity, 'WARNING');
});

test('PgError writes itself as an ErrorResponse', () => {
  const error = new PgError({ severity: 'ERROR', code: '42501', message: 'denied', hint: 'ask' });
  assert.equal(error.code, '42501');
  assert.ok(error instanceof Error);
  assert.deepEqual(decodeBackend(asFrame(error.toBuffer())), { type: 'ErrorResponse', fields: error.fields });
});

test('malformed and unknown backend messages fail with their codes', () => {
  const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;
  assert.throws(() => decodeBackend(asFrame(tagged('Z', byte('X')))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('Z'))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('R', int32(5), Buffer.from([1, 2])))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('R', int32(10), cstr('SCRAM-SHA-256')))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('T', int16(1), cstr('id'), int32(0)))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('E', byte('S'), cstr('ERROR')))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('1', Buffer.from([0])))), isCode('malformed-message'));
  assert.throws(() => decodeBackend(asFrame(tagged('Q', cstr('x')))), isCode('unknown-message'));
  assert.deepEqual(decodeBackend(asFrame(tagged('R', int32(7)))), { type: 'AuthenticationUnsupported', method: 7 });
});
