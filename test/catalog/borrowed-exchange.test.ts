/**
 * The framing of Parapet's exchange on a borrowed session: named statements and portals only (the
 * client's unnamed ones survive), each closed behind its step, one Sync; replies read step by step,
 * a failure attributed to the step it ended, and the ParameterStatus and notices dropped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeNamesBytes, exchangeBytes, ExchangeReplies, type ExchangeStep } from '../../src/catalog/borrowed-exchange.js';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import * as be from '../../src/protocol/encode-backend.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { decodeFrontend, type FrontendMessage } from '../../src/protocol/frontend.js';

const NAMES = { statement: 'parapet_catalog_s', portal: 'parapet_catalog_p' };

function frontend(bytes: Buffer): FrontendMessage[] {
  return new FrameReader({ maxFrameBytes: 1 << 20, startup: false }).push(bytes).map((frame) => decodeFrontend(frame, 'ready'));
}

function backend(...buffers: Buffer[]): BackendMessage[] {
  return new FrameReader({ maxFrameBytes: 1 << 20, startup: false }).push(Buffer.concat(buffers)).map((frame) => decodeBackend(frame));
}

function read(steps: readonly ExchangeStep[], replies: BackendMessage[]): ExchangeReplies {
  const collector = new ExchangeReplies();
  let done = false;
  for (const message of replies) {
    assert.equal(done, false, 'nothing comes after ReadyForQuery');
    done = collector.push(message);
  }
  assert.equal(done, true);
  assert.ok(collector.results.length <= steps.length);
  return collector;
}

const field = { name: 'relname', tableOid: 1259, columnNumber: 2, typeOid: 19 };

describe('the borrowed exchange', () => {
  test('a run step and a describe step: named Parse, Bind and Execute, each closed, one Sync', () => {
    const messages = frontend(exchangeBytes([{ kind: 'run', sql: 'SELECT 1' }, { kind: 'describe', sql: 'SELECT relname FROM pg_class' }], NAMES));
    assert.deepEqual(
      messages.map((m) => m.type),
      ['Parse', 'Bind', 'Execute', 'Close', 'Close', 'Parse', 'Describe', 'Close', 'Sync'],
    );
    for (const m of messages) {
      if (m.type === 'Parse') assert.equal(m.name, NAMES.statement);
      if (m.type === 'Bind') assert.deepEqual([m.portal, m.statement], [NAMES.portal, NAMES.statement]);
      if (m.type === 'Execute') assert.equal(m.portal, NAMES.portal);
      if (m.type === 'Describe') assert.deepEqual([m.target, m.name], ['S', NAMES.statement]);
      if (m.type === 'Close') assert.equal(m.name, m.target === 'S' ? NAMES.statement : NAMES.portal);
    }
  });

  test('the names can be closed whatever a failed segment left behind', () => {
    assert.deepEqual(
      frontend(closeNamesBytes(NAMES)).map((m) => (m.type === 'Close' ? `${m.target}:${m.name}` : m.type)),
      [`P:${NAMES.portal}`, `S:${NAMES.statement}`],
    );
  });

  test('rows, fields and the status come back per step; ParameterStatus, notices and notifications are dropped', () => {
    const steps: ExchangeStep[] = [{ kind: 'run', sql: 'SET LOCAL search_path = pg_catalog' }, { kind: 'run', sql: 'SELECT 1' }, { kind: 'describe', sql: 'SELECT relname FROM pg_class' }];
    const replies = backend(
      be.parseComplete(), be.bindComplete(), be.parameterStatus('search_path', 'pg_catalog'), be.commandComplete('SET'), be.closeComplete(), be.closeComplete(),
      be.parseComplete(), be.bindComplete(), be.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hello' }), be.notificationResponse(7, 'chan', 'x'), be.dataRow(['1']), be.dataRow([null]), be.commandComplete('SELECT 2'), be.closeComplete(), be.closeComplete(),
      be.parseComplete(), be.parameterDescription([]), be.rowDescription([field]), be.closeComplete(),
      be.readyForQuery('T'),
    );
    const collector = read(steps, replies);
    assert.equal(collector.status, 'T');
    assert.equal(collector.results.length, 3);
    assert.deepEqual(collector.results[1]!.rows, [['1'], [null]]);
    assert.deepEqual(collector.results[0]!.rows, []);
    assert.deepEqual(collector.results[2]!.fields.map((f) => [f.name, f.tableOid, f.columnNumber]), [['relname', 1259, 2]]);
    assert.ok(collector.results.every((r) => r.error === undefined));
  });

  test('a failed Execute belongs to its step; a failed Parse starts the next one; the rest is skipped', () => {
    const steps: ExchangeStep[] = [{ kind: 'run', sql: 'SELECT 1' }, { kind: 'run', sql: 'SELECT 1/0' }, { kind: 'run', sql: 'SELECT 2' }];
    const execute = read(steps, backend(
      be.parseComplete(), be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.closeComplete(), be.closeComplete(),
      be.parseComplete(), be.bindComplete(), be.errorResponse({ severity: 'ERROR', code: '22012', message: 'division by zero' }),
      be.readyForQuery('E'),
    ));
    assert.deepEqual(execute.results.map((r) => r.error?.code), [undefined, '22012']);
    assert.equal(execute.status, 'E');

    const parse = read(steps, backend(
      be.parseComplete(), be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.closeComplete(), be.closeComplete(),
      be.errorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' }),
      be.readyForQuery('I'),
    ));
    assert.deepEqual(parse.results.map((r) => r.error?.code), [undefined, '42601']);
  });

  test('a message no step asks for is refused', () => {
    const collector = new ExchangeReplies();
    assert.throws(() => collector.push({ type: 'CopyInResponse', format: 0, columnFormats: [] } as unknown as BackendMessage), /unexpected CopyInResponse/);
    assert.throws(() => collector.push(backend(be.dataRow(['x']))[0]!), /outside a step/);
  });
});
