/** OpenLineage events: every one validates against the schema; run ids belong to the actor. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../src/sql/index.js';
import { LineageTracker, type LineageTransaction } from '../../src/lineage/tracker.js';
import { parentRunId, runEvents } from '../../src/lineage/openlineage.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { ALICE, ETL, INSERT_SUMMARY, Session, memorySink } from './scenario.js';
import { eventValidator } from './validator.js';


before(() => initParser());

async function transactions(): Promise<LineageTransaction[]> {
  const records: AuditRecord[] = [];
  const sink = memorySink(records);
  const etl = new Session('s1', ETL, sink);
  await etl.run(INSERT_SUMMARY);
  await etl.end('commit');
  await etl.run({ sql: 'copy staging (id, amount) from stdin', kind: 'copy', written: [{ table: 'staging', operation: 'copy-from', columns: ['id', 'amount'] }], tag: 'COPY 3', rows: 3 });
  await etl.end('rollback');
  const alice = new Session('s2', ALICE, sink);
  await alice.run({ sql: 'create table archive.old as select * from orders', kind: 'create-table-as', read: ['orders'], written: [{ table: 'archive.old', operation: 'create-table-as' }], error: { sqlstate: '42P07', message: 'relation "old" already exists' } });
  await alice.end('rollback');
  const tracker = new LineageTracker();
  return records.flatMap((r) => tracker.feed(r));
}

test('every event validates: COMPLETE, ABORT and FAIL runs with their facets', async () => {
  const validate = eventValidator();
  const all = await transactions();
  assert.deepEqual(all.map((t) => t.status), ['committed', 'aborted', 'failed']);
  const events = all.flatMap((t) => runEvents(t, { namespace: 'postgres://db.internal:5432' }));
  assert.deepEqual(events.map((e) => e.eventType), ['START', 'COMPLETE', 'START', 'ABORT', 'START', 'FAIL']);
  for (const event of events) assert.deepEqual(validate(event), [], JSON.stringify(event));

  const complete = events[1]!;
  assert.deepEqual(complete.outputs.map((o) => o.name), ['shop.public.order_totals']);
  assert.deepEqual(complete.inputs.map((i) => `${i.namespace} ${i.name}`), ['postgres://db.internal:5432 shop.public.orders']);
  const output = complete.outputs[0]!;
  assert.equal((output.outputFacets?.outputStatistics as { rowCount: number }).rowCount, 12);
  const fields = (output.facets?.columnLineage as { fields: Record<string, { inputFields: { name: string; field: string }[] }> }).fields;
  assert.deepEqual(fields.total?.inputFields.map((f) => `${f.name}.${f.field}`), ['shop.public.orders.amount']);
  assert.equal(complete.job.name, 'etl');
  assert.ok(String((complete.job.facets.sql as { query: string }).query).includes('insert into public.order_totals'));
  const custom = complete.run.facets.parapet_decision as { actor: { name: string }; statements: { decision: number }[] };
  assert.equal(custom.actor.name, 'etl');
  assert.equal(events[0]!.run.runId, complete.run.runId);
  assert.ok(events[5]!.run.facets.errorMessage);
  assert.equal(events[3]!.outputs[0]!.outputFacets, undefined);
});

test('run ids: the parent run comes from the authenticated actor and the run tag, never the tag alone', async () => {
  const [committed] = await transactions();
  const [start] = runEvents(committed!, { namespace: 'postgres://h:5432' });
  const parent = (start!.run.facets.parent as { run: { runId: string } }).run.runId;
  assert.equal(parent, parentRunId(ETL, committed!, 'r-42'));
  assert.notEqual(parentRunId(ALICE, committed!, 'r-42'), parent);
  assert.equal(parentRunId(ETL, { instance: 'other', session: 'zzz' }, 'r-42'), parent);
  assert.notEqual(parentRunId(ETL, committed!, undefined), parent);
  assert.match(parent, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('the validator rejects a malformed event (it is not vacuous)', async () => {
  const validate = eventValidator();
  const [t] = await transactions();
  const [start] = runEvents(t!, { namespace: 'postgres://h:5432' });
  assert.ok(validate({ ...start, run: { runId: 'not-a-uuid', facets: {} } }).length > 0);
  assert.ok(validate({ ...start, eventType: 'DONE' }).length > 0);
  const { parapet_decision: _custom, ...facets } = start!.run.facets;
  assert.ok(validate({ ...start, run: { ...start!.run, facets: { ...facets, parapet_decision: { actor: {} } } } }).length > 0);
});
