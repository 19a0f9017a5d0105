/**
 * Upstream faults: the database restarts under live sessions, a backend is terminated by an
 * administrator, the database is unreachable when Parapet starts. Sessions get PostgreSQL's own
 * errors (57P01 / 08006) without hanging, Parapet keeps running, and new sessions work once the
 * database is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { adminQuery, postgresReachable, PG_HOST, PG_PORT } from '../support/postgres.js';
import { createUpstream, startProxy, type TestUpstream } from '../support/proxy-harness.js';
import { canStartCluster, startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';
import { SECRETS, TEST_POLICY, adminRows } from '../proxy/fixtures.js';
import { TcpForwarder, freePort } from './tcp-forwarder.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
type PgFailure = Error & { code?: string };

/** Runs pg_ctl on a throwaway cluster, as the `postgres` OS user when we are root. */
async function pgCtl(cluster: ThrowawayCluster, ...args: string[]): Promise<void> {
  const pgCtlBin = cluster.binDir ? join(cluster.binDir, 'pg_ctl') : 'pg_ctl';
  // `-l` keeps the server's output out of pg_ctl's pipes (execFile would wait for them to close).
  const full = ['-D', cluster.dataDir, '-l', join(cluster.socketDir, 'server.log'), '-w', ...args];
  if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', pgCtlBin, ...full]);
  else await run(pgCtlBin, full);
}

/** A pg client that collects connection-level errors instead of crashing the test. */
async function session(url: string, name: string): Promise<{ client: pg.Client; errors: PgFailure[] }> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  const errors: PgFailure[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return { client, errors };
}

describe('upstream faults', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  before(async () => {
    db = await createUpstream('parapet_upfault');
  });
  after(async () => {
    await db?.drop();
  });

  test('the upstream restarts: running and idle sessions get 57P01, new sessions get 08006 while it is down and work once it is back', { skip: !canStartCluster() }, async () => {
    const cluster = await startThrowawayCluster();
    try {
      await adminQueryOn(cluster, "create role parapet_app login password 'app'");
      await adminQueryOn(cluster, 'create database app owner parapet_app');
      const proxy = await startProxy({ upstreamUrl: `postgres://parapet_app:app@127.0.0.1:${cluster.port}/app`, policyYaml: TEST_POLICY, secrets: SECRETS });
      try {
        const url = proxy.url('alice', SECRETS.alice, 'app');
        const busy = await session(url, 'busy');
        const idle = await session(url, 'idle');
        const running = busy.client.query('select pg_sleep(60)').then(
          () => undefined,
          (error: PgFailure) => error,
        );
        await waitFor(async () => (await adminQueryOn(cluster, "select 1 from pg_stat_activity where application_name = 'busy' and state = 'active'")).length === 1);

        await pgCtl(cluster, '-m', 'fast', 'stop');
        assert.equal((await running)?.code, '57P01');
        await waitFor(() => idle.errors.length > 0);
        assert.equal(idle.errors[0]!.code, '57P01');
        await assert.rejects(idle.client.query('select 1'));

        const down = new pg.Client(url);
        await assert.rejects(down.connect(), (e: PgFailure) => e.code === '08006');

        await pgCtl(cluster, 'restart');
        const again = await session(url, 'again');
        assert.equal((await again.client.query('select 7 as n')).rows[0].n, 7);
        await again.client.end();
      } finally {
        await proxy.stop();
      }
    } finally {
      await cluster.stop();
    }
  });

  test('an administrator terminates the upstream backend: the session ends with 57P01 and nothing leaks', async () => {
    const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
    try {
      const url = proxy.url('alice', SECRETS.alice);
      const victim = await session(url, 'terminated-one');
      const bystander = await session(url, 'bystander');
      const rows = await adminRows<{ pid: number }>(db.adminUrl, "select pid from pg_stat_activity where application_name = 'terminated-one'");
      await adminQuery('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await waitFor(() => victim.errors.length > 0);
      assert.equal(victim.errors[0]!.code, '57P01');
      assert.equal((await bystander.client.query('select 1 as n')).rows[0].n, 1);
      await bystander.client.end();
      await waitFor(() => proxy.running.server.connections === 0);
      await waitFor(async () => (await adminRows(db.adminUrl, 'select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).length === 0);
    } finally {
      await proxy.stop();
    }
  });

  test('the upstream is unreachable at start: parapet starts, says so, answers 08006 with a hint, and serves once it is reachable', async () => {
    const port = await freePort();
    const url = new URL(db.url);
    url.port = String(port);
    const proxy = await startProxy({ upstreamUrl: url.toString(), policyYaml: TEST_POLICY, secrets: SECRETS });
    const forwarder = new TcpForwarder({ host: PG_HOST, port: PG_PORT });
    try {
      assert.ok(proxy.logs.some((l) => l.startsWith('warn:') && l.includes(`:${port}`) && l.includes('sessions will fail until it is reachable')));
      const early = new pg.Client(proxy.url('alice', SECRETS.alice));
      await assert.rejects(early.connect(), (e: pg.DatabaseError) => e.code === '08006' && /not reachable/.test(e.message) && Boolean(e.hint));

      await forwarder.listen(port);
      const later = await session(proxy.url('alice', SECRETS.alice), 'later');
      assert.equal((await later.client.query('select 3 as n')).rows[0].n, 3);
      await later.client.end();
    } finally {
      await proxy.stop();
      await forwarder.close();
    }
  });
});

/** SQL as the superuser of a throwaway cluster. */
async function adminQueryOn(cluster: ThrowawayCluster, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: cluster.url('postgres') });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
