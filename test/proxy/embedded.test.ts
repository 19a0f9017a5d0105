/**
 * The embedded default: `parapet serve` with no upstream runs PGlite with the sample data and the
 * sample policy. One client session at a time, and nothing of one session reaches the next.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startProxy, type ProxyHarness } from '../support/proxy-harness.js';

let proxy: ProxyHarness;

async function connectAs(actor: 'alice' | 'agent'): Promise<pg.Client> {
  const client = new pg.Client(proxy.url(actor, actor === 'alice' ? 'alice-dev' : 'agent-dev'));
  await client.connect();
  return client;
}

describe('the embedded default', () => {
  before(async () => {
    proxy = await startProxy({ limits: { upstreamWaitMs: 500 } });
  });
  after(async () => {
    await proxy?.stop();
  });

  test('the printed welcome and ready line name a URL that works, and a blocked statement is blocked', async () => {
    assert.match(proxy.running.readyLine, /^parapet: ready — postgres:\/\/alice@127\.0\.0\.1:\d+\/postgres/);
    assert.match(proxy.running.welcome ?? '', /psql "postgres:\/\/alice:alice-dev@127\.0\.0\.1:\d+\/postgres"/);
    const alice = await connectAs('alice');
    try {
      const rows = await alice.query('SELECT id, status, total_cents FROM orders WHERE customer_id = 42');
      assert.ok(rows.rows.length > 0);
      await assert.rejects(alice.query('DELETE FROM orders'), (e: pg.DatabaseError) => e.code === '42501' && /require-where/.test(e.detail ?? ''));
    } finally {
      await alice.end();
    }
    const agent = await connectAs('agent');
    try {
      await assert.rejects(agent.query('DROP TABLE customers'), (e: pg.DatabaseError) => e.code === '42501' && /no-drop/.test(e.detail ?? ''));
    } finally {
      await agent.end();
    }
  });

  test('one session at a time: a second waits, then gets 53300; it works once the first is gone', async () => {
    const first = await connectAs('alice');
    try {
      const second = new pg.Client(proxy.url('agent', 'agent-dev'));
      await assert.rejects(second.connect(), (e: pg.DatabaseError) => e.code === '53300');
    } finally {
      await first.end();
    }
    const third = await connectAs('alice');
    try {
      assert.equal((await third.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await third.end();
    }
  });

  test('one actor’s session state does not reach the next session', async () => {
    const alice = await connectAs('alice');
    await alice.query('CREATE TEMP TABLE leftover (x int)');
    await alice.query('INSERT INTO leftover VALUES (1)');
    await alice.query('BEGIN');
    await alice.end();
    const next = await connectAs('alice');
    try {
      await assert.rejects(next.query('SELECT * FROM leftover'), (e: pg.DatabaseError) => e.code === '42P01');
      // The transaction the previous session left open was rolled back.
      assert.equal((await next.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await next.end();
    }
  });
});
