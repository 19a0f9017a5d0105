/**
 * Lineage end to end on a real trail: live OpenLineage events from the trail (file transport),
 * and `parapet lineage upstream/downstream/timeline/events` replayed from the store.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAudit, type AuditConfig } from '../../src/audit/index.js';
import type { CommandIO } from '../../src/audit/commands.js';
import { runEventsExport, runTimeline, runWalk } from '../../src/lineage/commands.js';
import type { RunEvent } from '../../src/lineage/openlineage.js';
import { eventValidator } from './validator.js';
import { ALICE, ETL, INSERT_SUMMARY, Session } from './scenario.js';

let dir: string;
let config: AuditConfig;
let eventsFile: string;
const AGENT = { name: 'agent-7', kind: 'agent' as const, groups: ['agents'] };

function capture(): CommandIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parapet-lineage-'));
  eventsFile = join(dir, 'events.ndjson');
  config = { store: 'sqlite', path: join(dir, 'audit.db') };
  const trail = await openAudit({ ...config, lineage: { namespace: 'postgres://db.internal:5432', transport: { type: 'file', path: eventsFile } } }, 'lineage-test');
  const sink = (input: Parameters<typeof trail.record>[0]) => trail.record(input);
  const etl = new Session('etl-1', ETL, sink);
  await etl.run({ sql: 'copy orders (id, customer_id, amount) from stdin', kind: 'copy', written: [{ table: 'orders', operation: 'copy-from', columns: ['id', 'customer_id', 'amount'] }], tag: 'COPY 30', rows: 30 });
  await etl.end('commit');
  await etl.run(INSERT_SUMMARY);
  await etl.end('commit');
  await etl.run({ sql: 'insert into reports.weekly (customer_id, total) select customer_id, total from public.order_totals', kind: 'insert', read: ['public.order_totals'], written: [{ table: 'reports.weekly', operation: 'insert', columns: ['customer_id', 'total'] }], tag: 'INSERT 0 12', rows: 12 });
  await etl.end('commit');
  const agent = new Session('agent-1', AGENT, sink);
  await agent.run({ sql: 'delete from orders', kind: 'delete', written: [{ table: 'orders', operation: 'delete' }], action: 'deny', rules: ['no-bulk-delete'], message: 'bulk delete on `orders` without a WHERE', tags: { reason: 'cleanup' } });
  const alice = new Session('alice-1', ALICE, sink);
  await alice.run({ sql: 'begin', kind: 'begin', tag: 'BEGIN' });
  await alice.run({ sql: "update orders set amount = 0 where id = 5", kind: 'update', read: ['orders'], written: [{ table: 'orders', operation: 'update', columns: ['amount'] }], tag: 'UPDATE 1', rows: 1, tags: { reason: 'refund', ticket: 'T-9' } });
  await alice.run({ sql: 'rollback', kind: 'rollback', tag: 'ROLLBACK' });
  await alice.end('rollback');
  await alice.run({ sql: 'delete from orders where id = 7', kind: 'delete', read: ['orders'], written: [{ table: 'orders', operation: 'delete' }], tag: 'DELETE 1', rows: 1, tags: { reason: 'gdpr request' } });
  await alice.end('commit');
  await alice.disconnect();
  await trail.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

const liveEvents = (): RunEvent[] => readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);

test('live: the trail emits a START and an end event per transaction that wrote, all valid', () => {
  const validate = eventValidator();
  const events = liveEvents();
  assert.deepEqual(events.map((e) => e.eventType), ['START', 'COMPLETE', 'START', 'COMPLETE', 'START', 'COMPLETE', 'START', 'ABORT', 'START', 'COMPLETE']);
  for (const e of events) assert.deepEqual(validate(e), [], JSON.stringify(e));
  assert.deepEqual(events[1]!.inputs.map((i) => `${i.namespace}|${i.name}`), ['copy://|stdin']);
  assert.deepEqual(events[1]!.outputs.map((o) => o.name), ['shop.public.orders']);
});

test('events replayed from the store are the live events', async () => {
  const io = capture();
  assert.equal(await runEventsExport(config, { namespace: 'postgres://db.internal:5432' }, io), 0);
  const replayed = io.out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  assert.deepEqual(replayed, liveEvents());
});

test('upstream and downstream follow committed edges hop by hop', async () => {
  const up = capture();
  await runWalk(config, 'reports.weekly', 'upstream', { json: true }, up);
  const upEdges = up.out.trim().split('\n').map((l) => JSON.parse(l) as { from: string; to: string; actor: { name: string } });
  assert.deepEqual(upEdges.map((e) => `${e.from}>${e.to}`), ['public.order_totals>reports.weekly', 'public.orders>public.order_totals', 'copy:stdin>public.orders']);
  const near = capture();
  await runWalk(config, 'reports.weekly', 'upstream', { json: true, depth: 1 }, near);
  assert.equal(near.out.trim().split('\n').length, 1);

  const down = capture();
  await runWalk(config, 'orders', 'downstream', { json: false }, down);
  assert.ok(down.out.includes('public.orders → public.order_totals'));
  assert.ok(down.out.includes('public.order_totals → reports.weekly'));
  assert.ok(down.out.includes('total ← amount (aggregation)'));
  // The rolled-back update is not lineage.
  const none = capture();
  await runWalk(config, 'customers', 'upstream', { json: false }, none);
  assert.ok(none.out.startsWith('no committed'));
});

test('timeline: every change and blocked attempt on a table, in order, with who and why', async () => {
  const io = capture();
  await runTimeline(config, 'orders', { json: true }, io);
  const entries = io.out.trim().split('\n').map((l) => JSON.parse(l) as { status: string; actor: { name: string }; why?: string; rules?: string[]; operation: string });
  assert.deepEqual(entries.map((e) => [e.status, e.actor.name, e.operation]), [
    ['committed', 'etl', 'copy-from'],
    ['denied', 'agent-7', 'delete'],
    ['aborted', 'alice', 'update'],
    ['committed', 'alice', 'delete'],
  ]);
  assert.deepEqual(entries[1]!.rules, ['no-bulk-delete']);
  assert.equal(entries[2]!.why, 'refund');
  assert.equal(entries[3]!.why, 'gdpr request');
  const text = capture();
  await runTimeline(config, 'orders', { json: false, since: '2000-01-01T00:00:00.000Z' }, text);
  assert.ok(text.out.includes('DENIED') && text.out.includes('[no-bulk-delete]'));
  const later = capture();
  await runTimeline(config, 'orders', { json: false, since: '2999-01-01T00:00:00.000Z' }, later);
  assert.ok(later.out.startsWith('no changes'));
});
