/** The response tracker's model of PostgreSQL's replies, fed exact message sequences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendCode as B } from '../../src/protocol/codes.js';
import { ResponseOrderError, ResponseTracker } from '../../src/proxy/response-tracker.js';

const ERR = { severity: 'ERROR' as const, code: '42601', message: 'syntax error' };
const DENY = { severity: 'ERROR' as const, code: '42501', message: 'denied' };

test('extended messages complete in order; an error skips everything up to Sync', () => {
  const t = new ResponseTracker<string>();
  for (const kind of ['parse', 'bind', 'execute', 'parse', 'bind', 'execute', 'sync'] as const) t.push({ kind, tag: kind });
  assert.deepEqual(t.onMessage(B.ParseComplete).completed.map((c) => c.unit.kind), ['parse']);
  assert.deepEqual(t.onMessage(B.BindComplete).completed.map((c) => c.unit.kind), ['bind']);
  assert.equal(t.onMessage(B.DataRow).completed.length, 0);
  const done = t.onMessage(B.CommandComplete, { commandTag: 'SELECT 1' });
  assert.equal(done.completed[0]?.commandTag, 'SELECT 1');
  const failed = t.onMessage(B.ErrorResponse, { error: ERR });
  assert.ok(failed.forward);
  assert.deepEqual(failed.completed.map((c) => [c.unit.kind, c.outcome]), [['parse', 'error'], ['bind', 'skipped'], ['execute', 'skipped']]);
  const ready = t.onMessage(B.ReadyForQuery, { status: 'I' });
  assert.equal(ready.status, 'I');
  assert.equal(t.pending, 0);
});

test('a poison error is swallowed and replaced; a simple poison ends at ReadyForQuery', () => {
  const t = new ResponseTracker<string>();
  t.push({ kind: 'poison', simple: true, error: DENY, tag: '' });
  const step = t.onMessage(B.ErrorResponse, { error: ERR });
  assert.equal(step.forward, false);
  assert.deepEqual(step.replaceWith, DENY);
  assert.equal(t.onMessage(B.ReadyForQuery, { status: 'E' }).status, 'E');
  assert.equal(t.pending, 0);
});

test('a poison skipped after an earlier error shows nothing', () => {
  const t = new ResponseTracker<string>();
  t.push({ kind: 'execute', tag: '' });
  t.push({ kind: 'poison', simple: false, error: DENY, tag: '' });
  t.push({ kind: 'sync', tag: '' });
  const step = t.onMessage(B.ErrorResponse, { error: ERR });
  assert.ok(step.forward);
  assert.equal(step.replaceWith, undefined);
  assert.deepEqual(step.completed.map((c) => c.outcome), ['error', 'skipped']);
});

test('messages sent after an extended error but before Sync are never answered', () => {
  const t = new ResponseTracker<string>();
  t.push({ kind: 'execute', tag: 'e' });
  t.onMessage(B.ErrorResponse, { error: ERR });
  assert.equal(t.push({ kind: 'poison', simple: true, error: DENY, tag: 'late' })?.outcome, 'skipped');
  assert.equal(t.push({ kind: 'parse', tag: 'late' })?.outcome, 'skipped');
  assert.equal(t.push({ kind: 'sync', tag: 's' }), undefined);
  assert.equal(t.onMessage(B.ReadyForQuery, { status: 'I' }).completed[0]?.unit.tag, 's');
  assert.equal(t.push({ kind: 'parse', tag: 'next' }), undefined);
  assert.equal(t.pending, 1);
});

test('simple Query statements are counted; a Describe ends at RowDescription or NoData', () => {
  const t = new ResponseTracker<string>();
  t.push({ kind: 'query', tag: 'q' });
  t.push({ kind: 'describe', tag: 'd' });
  t.push({ kind: 'sync', tag: 's' });
  assert.equal(t.onMessage(B.RowDescription).completed.length, 0);
  assert.equal(t.onMessage(B.CommandComplete, { commandTag: 'SELECT 1' }).statementDone?.commandTag, 'SELECT 1');
  assert.equal(t.onMessage(B.ErrorResponse, { error: ERR }).statementDone?.error?.code, '42601');
  t.onMessage(B.ReadyForQuery, { status: 'I' });
  assert.equal(t.onMessage(B.ParameterDescription).completed.length, 0);
  assert.deepEqual(t.onMessage(B.NoData).completed.map((c) => c.unit.kind), ['describe']);
  t.onMessage(B.ReadyForQuery, { status: 'I' });
  assert.equal(t.pending, 0);
});

test('during copy-in, Syncs already sent are ignored by the server and no longer expected', () => {
  const t = new ResponseTracker<string>();
  t.push({ kind: 'execute', tag: 'copy' });
  t.push({ kind: 'sync', tag: 'swallowed' });
  assert.ok(t.onMessage(B.CopyInResponse).copyIn);
  assert.ok(t.copyIn);
  t.endCopyIn();
  t.push({ kind: 'sync', tag: 'real' });
  assert.equal(t.onMessage(B.CommandComplete, { commandTag: 'COPY 2' }).completed[0]?.commandTag, 'COPY 2');
  const ready = t.onMessage(B.ReadyForQuery, { status: 'I' });
  assert.equal(ready.completed[0]?.unit.tag, 'real');
  assert.equal(t.pending, 0);
});

test('a reply nobody waits for is a lost order, not a guess', () => {
  const t = new ResponseTracker<string>();
  assert.throws(() => t.onMessage(B.ReadyForQuery, { status: 'I' }), ResponseOrderError);
  t.push({ kind: 'bind', tag: '' });
  assert.throws(() => t.onMessage(B.ParseComplete), ResponseOrderError);
});
