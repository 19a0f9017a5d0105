/**
 * Cross-check against node-postgres's codec (pg-protocol, installed with `pg`): what it serializes
 * we decode identically, and what we encode its parser reads as the same messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import * as be from '../../src/protocol/encode-backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import { decodeFrontend } from '../../src/protocol/frontend.js';
import { asFrame, asStartupFrame, chunkings } from '../support/wire.js';

test('pg-protocol frontend messages decode as their meaning', () => {
  assert.deepEqual(decodeFrontend(asStartupFrame(serialize.startup({ user: 'u', database: 'd' })), 'startup'), {
    // pg-protocol adds client_encoding itself.
    type: 'StartupMessage', protocolVersion: 196608, parameters: { user: 'u', database: 'd', client_encoding: 'UTF8' },
  });
  assert.deepEqual(decodeFrontend(asFrame(serialize.parse({ name: 's', text: 'select $1', types: [23] })), 'ready'), {
    type: 'Parse', name: 's', sql: 'select $1', paramTypes: [23],
  });
  assert.deepEqual(decodeFrontend(asFrame(serialize.bind({ statement: 's', values: ['x', null, Buffer.from([1])] })), 'ready'), {
    type: 'Bind', portal: '', statement: 's', paramFormats: [0, 0, 1], params: [Buffer.from('x'), null, Buffer.from([1])], resultFormats: [0],
  });
  assert.deepEqual(decodeFrontend(asFrame(serialize.execute({ portal: 'p', rows: 5 })), 'ready'), { type: 'Execute', portal: 'p', maxRows: 5 });
  assert.deepEqual(decodeFrontend(asFrame(serialize.describe({ type: 'P', name: 'p' })), 'ready'), { type: 'Describe', target: 'P', name: 'p' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.close({ type: 'S', name: 's' })), 'ready'), { type: 'Close', target: 'S', name: 's' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.sync()), 'ready'), { type: 'Sync' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.flush()), 'ready'), { type: 'Flush' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.end()), 'ready'), { type: 'Terminate' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.copyFail('no')), 'ready'), { type: 'CopyFail', message: 'no' });
  assert.deepEqual(decodeFrontend(asFrame(serialize.password('pw')), 'auth'), { type: 'PasswordMessage', data: Buffer.from('pw\0') });
  // Byte-identical where both sides encode the same message.
  assert.deepEqual(fe.query('select 1'), serialize.query('select 1'));
  assert.deepEqual(fe.sync(), serialize.sync());
  assert.deepEqual(fe.sslRequest(), serialize.requestSsl());
  assert.deepEqual(fe.saslInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=*,r=x')), serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=x'));
});

test('pg-protocol parses our backend messages, split anywhere', () => {
  const frames = [
    be.authenticationSASL(['SCRAM-SHA-256']),
    be.authenticationOk(),
    be.parameterStatus('server_version', '15.0'),
    be.backendKeyData(99, Buffer.from([0, 0, 0, 5])),
    be.readyForQuery('I'),
    be.rowDescription([{ name: 'n', tableOid: 1, columnNumber: 2, typeOid: 23, typeSize: 4 }]),
    be.dataRow(['1', null]),
    be.commandComplete('SELECT 1'),
    be.errorResponse({ severity: 'ERROR', code: '42501', message: 'denied', detail: 'rule x', hint: 'ask' }),
    be.notificationResponse(5, 'ch', 'hello'),
    be.copyInResponse(0, [0]),
    be.readyForQuery('E'),
  ];
  const bytes = Buffer.concat(frames);
  for (const [label, chunks] of chunkings(bytes)) {
    const seen: Array<Record<string, unknown>> = [];
    const parser = new Parser();
    for (const chunk of chunks) parser.parse(chunk, (message) => seen.push(message as unknown as Record<string, unknown>));
    assert.deepEqual(seen.map((m) => m.name), [
      'authenticationSASL', 'authenticationOk', 'parameterStatus', 'backendKeyData', 'readyForQuery', 'rowDescription',
      'dataRow', 'commandComplete', 'error', 'notification', 'copyInResponse', 'readyForQuery',
    ], label);
    assert.deepEqual(seen[0]!.mechanisms, ['SCRAM-SHA-256']);
    assert.equal(seen[3]!.processID, 99);
    assert.equal(seen[3]!.secretKey, 5);
    assert.equal(seen[4]!.status, 'I');
    assert.deepEqual(seen[6]!.fields, ['1', null]);
    assert.equal(seen[7]!.text, 'SELECT 1');
    assert.equal(seen[8]!.code, '42501');
    assert.equal(seen[8]!.hint, 'ask');
    assert.equal(seen[9]!.payload, 'hello');
    assert.equal(seen[11]!.status, 'E');
  }
});
