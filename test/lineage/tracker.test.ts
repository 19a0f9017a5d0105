/** The lineage tracker: writes count only once their transaction ended, and how it ended. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../src/sql/index.js';
import { LineageTracker, type LineageTransaction } from '../../src/lineage/tracker.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { ALICE, ETL, INSERT_SUMMARY, Session, memorySink, type Step } from './scenario.js';

before(() => initParser());

const UPDATE: Step = { sql: 'update customers set tier = $1 where id = $2', kind: 'update', read: ['customers'], written: [{ table: 'customers', operation: 'update', columns: ['tier'] }], tag: 'UPDATE 1', rows: 1 };
const BEGIN: Step = { sql: 'begin', kind: 'begin', tag: 'BEGIN' };
const COMMIT: Step = { sql: 'commit', kind: 'commit', tag: 'COMMIT' };

function feedAll(records: AuditRecord[]): LineageTransaction[] {
  const tracker = new LineageTracker();
  return records.flatMap((r) => tracker.feed(r));
}

test('an autocommit write is committed at its transaction record, with column lineage and rows', async () => {
  const records: AuditRecord[] = [];
  const s = new Session('s1', ETL, memorySink(records));
  await s.run(INSERT_SUMMARY);
  const tracker = new LineageTracker();
  for (const r of records) assert.deepEqual(tracker.feed(r), []);
  assert.equal(tracker.pending(), 1);
  await s.end('commit');
  const [t] = tracker.feed(records.at(-1)!);
  assert.equal(t?.status, 'committed');
  assert.equal(t?.actor.name, 'etl');
  const [statement] = t!.statements;
  assert.deepEqual([statement?.status, statement?.rows, statement?.writes[0]?.inputs], ['committed', 12, ['orders']]);
  assert.deepEqual(statement?.writes[0]?.columns?.total, [{ table: 'orders', column: 'amount', transformation: 'aggregation' }]);
  assert.equal(tracker.pending(), 0);
});

test('a rolled-back transaction is aborted; a failed statement makes it failed', async () => {
  const records: AuditRecord[] = [];
  const s = new Session('s1', ALICE, memorySink(records));
  await s.run(BEGIN);
  await s.run(UPDATE);
  await s.run({ sql: 'rollback', kind: 'rollback', tag: 'ROLLBACK' });
  await s.end('rollback');
  await s.run(UPDATE);
  await s.run({ ...UPDATE, error: { sqlstate: '23505', message: 'duplicate key value' }, tag: undefined, rows: undefined });
  await s.end('rollback');
  const done = feedAll(records);
  assert.deepEqual(done.map((t) => t.status), ['aborted', 'failed']);
  assert.deepEqual(done[1]!.statements.map((st) => st.status), ['aborted', 'failed']);
});

test('ROLLBACK TO SAVEPOINT undoes only the writes after the savepoint', async () => {
  const records: AuditRecord[] = [];
  const s = new Session('s1', ALICE, memorySink(records));
  await s.run(BEGIN);
  await s.run(UPDATE);
  await s.run({ sql: 'savepoint before_bulk', kind: 'savepoint', tag: 'SAVEPOINT' });
  await s.run({ ...UPDATE, sql: 'delete from customers', kind: 'delete', written: [{ table: 'customers', operation: 'delete' }], tag: 'DELETE 40', rows: 40 });
  await s.run({ ...UPDATE, error: { sqlstate: '57014', message: 'canceling statement' }, tag: undefined, rows: undefined });
  await s.run({ sql: 'rollback to savepoint before_bulk', kind: 'rollback-to', tag: 'ROLLBACK' });
  await s.run(COMMIT);
  await s.end('commit');
  const [t] = feedAll(records);
  assert.equal(t?.status, 'committed');
  assert.deepEqual(t?.statements.map((st) => [st.statementKind, st.status]), [
    ['update', 'committed'],
    ['delete', 'aborted'],
    ['update', 'failed'],
  ]);
});

test('a session that ends inside a transaction rolls it back; denied statements are not lineage', async () => {
  const records: AuditRecord[] = [];
  const s = new Session('s1', ALICE, memorySink(records));
  await s.run({ ...UPDATE, sql: 'delete from orders', action: 'deny', rules: ['no-bulk-delete'], message: 'bulk delete' });
  await s.run(BEGIN);
  await s.run(UPDATE);
  await s.disconnect();
  const done = feedAll(records);
  assert.equal(done.length, 1);
  assert.equal(done[0]!.status, 'aborted');
  assert.equal(done[0]!.statements.length, 1);
});

test('interleaved sessions are tracked apart', async () => {
  const records: AuditRecord[] = [];
  const sink = memorySink(records);
  const a = new Session('a', ALICE, sink);
  const b = new Session('b', ETL, sink);
  await a.run(BEGIN);
  await b.run(INSERT_SUMMARY);
  await a.run(UPDATE);
  await b.end('commit');
  await a.run({ sql: 'rollback', kind: 'rollback', tag: 'ROLLBACK' });
  await a.end('rollback');
  const done = feedAll(records);
  assert.deepEqual(done.map((t) => [t.session, t.status]), [['b', 'committed'], ['a', 'aborted']]);
});

test('an outcome that carries the transaction end commits the write without a transaction record', async () => {
  const records: AuditRecord[] = [];
  const s = new Session('s1', ETL, memorySink(records));
  await s.run(INSERT_SUMMARY);
  const outcome = records.at(-1)!;
  assert.equal(outcome.kind, 'outcome');
  const tracker = new LineageTracker();
  const ended = records.flatMap((r) => tracker.feed(r.kind === 'outcome' ? { ...r, end: 'commit' } : r));
  assert.deepEqual(ended.map((t) => [t.status, t.end, t.statements.length]), [['committed', outcome.seq, 1]]);
  assert.equal(tracker.pending(), 0);
});
