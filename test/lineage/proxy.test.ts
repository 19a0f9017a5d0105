/**
 * Lineage from real traffic: statements through `parapet serve` against the real PostgreSQL, then
 * lineage rebuilt from the audit trail the proxy wrote — committed writes are edges, a rolled-back
 * one is aborted, a blocked one is in the timeline with its rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { edges, replay, timeline, walk } from '../../src/lineage/history.js';
import { runEvents } from '../../src/lineage/openlineage.js';
import { initParser } from '../../src/sql/index.js';
import { needPostgres } from '../support/postgres.js';
import { createUpstream, startProxy } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { eventValidator } from './validator.js';

test('lineage of statements that went through the proxy', async (t) => {
  if (!(await needPostgres(t))) return;
  await initParser();
  const db = await createUpstream('parapet_lineage');
  const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
  try {
    const client = new pg.Client(proxy.url('alice', SECRETS.alice));
    await client.connect();
    await client.query('create table orders (id int primary key, customer_id int, amount numeric)');
    await client.query('create table order_totals (customer_id int, total numeric)');
    await client.query('insert into orders values (1, 10, 5), (2, 10, 7), (3, 11, 1)');
    await client.query("/* reason='rollup',run_id='nightly-1' */ insert into order_totals (customer_id, total) select customer_id, sum(amount) from orders group by customer_id");
    await client.query('begin');
    await client.query('update orders set amount = 0 where id = $1', [1]);
    await client.query('rollback');
    await assert.rejects(client.query('delete from orders'));
    await client.end();

    const store = SqliteAuditStore.openReadOnly(proxy.auditPath);
    try {
      const history = await replay(store);
      const up = walk(edges(history), 'order_totals', 'upstream');
      assert.deepEqual(up.map((e) => `${e.from}>${e.to}`), ['public.orders>public.order_totals']);
      assert.equal(up[0]!.rows, 2);
      assert.equal(up[0]!.runTag, 'nightly-1');
      assert.deepEqual(up[0]!.columns.map((c) => `${c.target}<${c.source}:${c.transformation}`).sort(), ['customer_id<customer_id:identity', 'total<amount:aggregation']);

      const entries = await timeline(store, history, 'orders');
      const statuses = entries.filter((e) => e.operation !== 'ddl').map((e) => `${e.status}:${e.operation}`);
      assert.deepEqual(statuses, ['committed:insert', 'aborted:update', 'denied:delete']);
      assert.ok(entries.find((e) => e.status === 'denied')!.rules!.includes('require-where'));

      const validate = eventValidator();
      const events = history.transactions.flatMap((tx) => runEvents(tx, { namespace: 'postgres://127.0.0.1:5432' }));
      assert.ok(events.length >= 6);
      for (const e of events) assert.deepEqual(validate(e), [], JSON.stringify(e));
    } finally {
      await store.close();
    }
  } finally {
    await proxy.stop();
    await db.drop();
  }
});
