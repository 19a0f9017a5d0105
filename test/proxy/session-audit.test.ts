/**
 * The session's audit helper: a transaction end that comes in the same upstream read as the last
 * statement's answer is folded into its outcome; a lone `transaction` record only when it comes later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditInput } from '../../src/audit/index.js';
import { SessionAudit } from '../../src/proxy/session-audit.js';

function recorder(): { audit: SessionAudit; records: AuditInput[] } {
  const records: AuditInput[] = [];
  let seq = 0;
  const port = {
    record(input: AuditInput) {
      records.push(input);
      return Promise.resolve({ seq: ++seq, hash: 'h' });
    },
  };
  const log = { info() {}, warn() {}, error() {} };
  return { audit: new SessionAudit(port, { session: 's1' }, log), records };
}

const started = performance.now();

test('an autocommit statement: the end travels in its outcome, no transaction record', () => {
  const { audit, records } = recorder();
  audit.outcome(7, { commandTag: 'UPDATE 2', started });
  audit.segmentEnded({ before: 'I', after: 'I', statements: 1, lastFailed: false, lastTag: 'UPDATE 2' });
  audit.readEnded();
  assert.equal(records.length, 1);
  const [outcome] = records;
  assert.equal(outcome?.kind, 'outcome');
  assert.deepEqual(
    outcome?.kind === 'outcome' && [outcome.decision, outcome.commandTag, outcome.rows, outcome.end],
    [7, 'UPDATE 2', 2, 'commit'],
  );
});

test('a failed statement ending the transaction folds `rollback`', () => {
  const { audit, records } = recorder();
  audit.outcome(3, { error: { severity: 'ERROR', code: '23505', message: 'duplicate key' }, started });
  audit.segmentEnded({ before: 'I', after: 'I', statements: 1, lastFailed: true });
  assert.equal(records.length, 1);
  assert.equal(records[0]?.kind === 'outcome' && records[0].end, 'rollback');
  assert.deepEqual(records[0]?.kind === 'outcome' && records[0].error, { sqlstate: '23505', message: 'duplicate key' });
});

test('ReadyForQuery in a later read: the outcome goes out as it is, then a lone transaction record', () => {
  const { audit, records } = recorder();
  audit.outcome(9, { commandTag: 'COMMIT', started });
  audit.readEnded();
  assert.equal(records.length, 1);
  assert.equal(records[0]?.kind === 'outcome' && records[0].end, undefined);
  audit.segmentEnded({ before: 'T', after: 'I', statements: 1, lastFailed: false, lastTag: 'COMMIT' });
  assert.deepEqual(records[1], { kind: 'transaction', session: 's1', end: 'commit' });
  assert.equal(records.length, 2);
});

test('inside a transaction block the outcome carries no end and nothing else is written', () => {
  const { audit, records } = recorder();
  audit.outcome(4, { commandTag: 'INSERT 0 1', started });
  audit.segmentEnded({ before: 'T', after: 'T', statements: 1, lastFailed: false, lastTag: 'INSERT 0 1' });
  audit.readEnded();
  assert.equal(records.length, 1);
  assert.equal(records[0]?.kind === 'outcome' && records[0].end, undefined);
});

test('several statements in one read: each outcome in order, the end on the last one', () => {
  const { audit, records } = recorder();
  audit.outcome(1, { commandTag: 'BEGIN', started });
  audit.outcome(2, { commandTag: 'UPDATE 1', started });
  audit.outcome(3, { commandTag: 'COMMIT', started });
  audit.segmentEnded({ before: 'I', after: 'I', statements: 3, lastFailed: false, lastTag: 'COMMIT' });
  assert.deepEqual(
    records.map((r) => r.kind === 'outcome' && [r.decision, r.end]),
    [[1, undefined], [2, undefined], [3, 'commit']],
  );
});

test('a held outcome is written before the disconnect record', async () => {
  const { audit, records } = recorder();
  audit.outcome(5, { commandTag: 'SELECT 1', started });
  await audit.sessionEvent('disconnect', { reason: 'client closed' });
  assert.deepEqual(records.map((r) => r.kind), ['outcome', 'session']);
});
