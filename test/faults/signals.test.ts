/**
 * `parapet serve` as a process: SIGTERM drains (running statements finish, idle sessions get 57P01,
 * no new connections, the audit is flushed, exit 0) and SIGHUP reloads the policy (changes apply to
 * the next statement; a bad policy is rejected with its located errors and the old one stays).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY, adminRows } from '../proxy/fixtures.js';
import { spawnProxy, type ChildProxy } from './child-proxy.js';
import { openSocket } from './wire-session.js';
import { waitFor } from '../support/wait.js';

let db: TestUpstream;

/** What the reloaded policy adds: people may no longer create tables. */
const NO_CREATE_TABLE = `  - id: no-create-table
    kinds: [human]
    when: statement.kind == "create-table"
    action: deny
    message: tables are created by migrations now
`;

/** A client whose connection-level errors (a FATAL from the server) are collected, not thrown. */
async function client(proxy: ChildProxy, name: string): Promise<{ client: pg.Client; errors: Array<Error & { code?: string }> }> {
  const c = new pg.Client({ connectionString: proxy.url('alice', SECRETS.alice, db.database), application_name: name });
  const errors: Array<Error & { code?: string }> = [];
  c.on('error', (error) => errors.push(error));
  await c.connect();
  return { client: c, errors };
}

describe('signals', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  before(async () => {
    db = await createUpstream('parapet_signals');
  });
  after(async () => {
    await db?.drop();
  });

  test('SIGTERM: the running statement finishes, idle sessions get 57P01, no new clients, audit flushed, exit 0', async () => {
    const proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, limits: '{ shutdownTimeout: 30s }' });
    try {
      const idle = await client(proxy, 'idle-one');
      const busy = await client(proxy, 'busy-one');
      const running = busy.client.query('select pg_sleep(1.5), 42 as answer');
      await waitFor(async () => (await adminRows(db.adminUrl, "select 1 from pg_stat_activity where application_name = 'busy-one' and state = 'active'")).length === 1);
      proxy.kill('SIGTERM');
      await waitFor(async () => proxy.log.some((l) => l.includes('SIGTERM: shutting down')));

      assert.equal((await running).rows[0].answer, 42);
      await waitFor(async () => idle.errors.length > 0 && busy.errors.length > 0);
      assert.equal(idle.errors[0]!.code, '57P01');
      assert.equal(busy.errors[0]!.code, '57P01');
      await assert.rejects(openSocket(proxy.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
      assert.deepEqual(await proxy.exited, { code: 0, signal: null });

      const store = SqliteAuditStore.openReadOnly(proxy.auditPath);
      try {
        const records = await store.search({ order: 'asc' });
        const decision = records.find((r) => r.kind === 'decision' && r.statement.includes('pg_sleep'));
        assert.ok(decision, 'the statement decision is in the trail');
        assert.ok(records.some((r) => r.kind === 'outcome' && r.decision === decision.seq && r.rows === 1), 'its outcome too');
        assert.equal(records.filter((r) => r.kind === 'session' && r.event === 'disconnect').length, 2);
      } finally {
        await store.close();
      }
      await idle.client.end().catch(() => {});
      await busy.client.end().catch(() => {});
    } finally {
      await proxy.stop();
    }
  });

  test('SIGTERM: a statement that outlives the shutdown timeout is cancelled upstream and the process exits 0', async () => {
    const proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, limits: '{ shutdownTimeout: 500ms }' });
    try {
      const busy = await client(proxy, 'too-slow');
      const running = busy.client.query('select pg_sleep(60)').catch((error: Error & { code?: string }) => error);
      await waitFor(async () => (await adminRows(db.adminUrl, "select 1 from pg_stat_activity where application_name = 'too-slow' and state = 'active'")).length === 1);
      proxy.kill('SIGTERM');
      const outcome = await running;
      assert.ok(outcome instanceof Error);
      assert.deepEqual(await proxy.exited, { code: 0, signal: null });
      await waitFor(async () => (await adminRows(db.adminUrl, "select 1 from pg_stat_activity where application_name = 'too-slow'")).length === 0);
      await busy.client.end().catch(() => {});
    } finally {
      await proxy.stop();
    }
  });

  test('SIGHUP: a new policy applies to the next statement of open sessions; a bad one is rejected with located errors and the old one stays', async () => {
    const proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
    try {
      const { client: c } = await client(proxy, 'reloaded');
      await c.query('create table before_reload (id int)');

      writeFileSync(proxy.policyFile, `${TEST_POLICY}${NO_CREATE_TABLE}`);
      proxy.kill('SIGHUP');
      await waitFor(async () => proxy.log.some((l) => l.includes('reloaded the policy')));
      await assert.rejects(c.query('create table after_reload (id int)'), (e: pg.DatabaseError) => e.code === '42501' && /no-create-table/.test(e.detail ?? ''));
      assert.equal((await c.query('select count(*)::int as n from before_reload')).rows[0].n, 0);

      const bad = `${TEST_POLICY}${NO_CREATE_TABLE}  - rule: no-such-rule\n`;
      writeFileSync(proxy.policyFile, bad);
      proxy.kill('SIGHUP');
      await waitFor(async () => proxy.log.some((l) => l.includes('reload rejected')));
      const badLine = bad.split('\n').findIndex((l) => l.includes('no-such-rule')) + 1;
      assert.ok(proxy.log.some((l) => l.includes(`policy.yaml:${badLine}:`)), `a located error for line ${badLine}:\n${proxy.log.join('\n')}`);
      // The previous (reloaded) policy still holds, in the open session and in a new one.
      await assert.rejects(c.query('create table still_denied (id int)'), (e: pg.DatabaseError) => e.code === '42501');
      const { client: fresh } = await client(proxy, 'after-bad-reload');
      await assert.rejects(fresh.query('create table also_denied (id int)'), (e: pg.DatabaseError) => e.code === '42501');
      await fresh.end();
      await c.end();
      assert.equal(proxy.memory().rss > 0, true, 'the process still runs');
    } finally {
      await proxy.stop();
    }
  });
});
