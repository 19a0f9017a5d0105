import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { needPostgres } from '../support/postgres.js';
import { createUpstream, startProxy } from '../support/proxy-harness.js';

const POLICY = `
version: 1
environment: test
defaults: { human: allow, agent: deny }
actors:
  alice: { kind: human }
  bot: { kind: agent }
rules:
  - rule: no-drop
  - rule: require-where
  - id: bot-reads
    kinds: [agent]
    when: statement.readOnly
    action: allow
`;

test('smoke', async (t) => {
  if (!(await needPostgres(t))) return;
  const db = await createUpstream();
  const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: POLICY, secrets: { alice: 'pw', bot: 'bpw' } });
  try {
    const c = new pg.Client(proxy.url('alice', 'pw'));
    await c.connect();
    assert.equal((await c.query('select 1 as x')).rows[0].x, 1);
    await c.query('create table t (id int)');
    await assert.rejects(c.query('drop table t'), (e: any) => e.code === '42501');
    assert.equal((await c.query('select $1::int as y', [5])).rows[0].y, 5);
    await c.end();
  } finally {
    console.log(proxy.logs.join('\n'));
    await proxy.stop();
    await db.drop();
  }
});
