/**
 * Connection limits (overall and per actor, 53300) and per-actor timeouts: the idle timeout closes
 * a session that waits (57P05, or 25P03 inside a transaction), and the statement timeout is the
 * upstream `statement_timeout`, which the actor can lower but not lift.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { openSocket } from '../faults/wire-session.js';
import { waitFor } from '../support/wait.js';

type PgFailure = Error & { code?: string; detail?: string };

describe('limits and timeouts', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  before(async () => {
    db = await createUpstream('parapet_limits');
  });
  after(async () => {
    await db?.drop();
  });

  /** A client whose connection-level errors are collected; the proxy's stop closes it. */
  async function connect(proxy: ProxyHarness, actor: 'alice' | 'bot', options: Partial<pg.ClientConfig> = {}): Promise<{ client: pg.Client; errors: PgFailure[] }> {
    const client = new pg.Client({ connectionString: proxy.url(actor, SECRETS[actor]), ...options });
    const errors: PgFailure[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    return { client, errors };
  }

  test('per-actor and overall connection limits answer 53300; a freed slot can be taken again', async () => {
    const proxy = await startProxy({
      upstreamUrl: db.url,
      policyYaml: TEST_POLICY,
      secrets: SECRETS,
      limits: { maxConnections: 4, maxConnectionsPerActor: 2, actors: [{ kinds: ['agent'], maxConnections: 1 }] },
    });
    try {
      const a1 = await connect(proxy, 'alice');
      await connect(proxy, 'alice');
      await assert.rejects(connect(proxy, 'alice'), (e: PgFailure) => e.code === '53300' && /too many connections for actor `alice`/.test(e.message));
      await connect(proxy, 'bot');
      await assert.rejects(connect(proxy, 'bot'), (e: PgFailure) => e.code === '53300' && /`bot`/.test(e.message));
      await a1.client.end();
      await waitFor(() => proxy.running.server.connections === 2);
      await connect(proxy, 'alice');

      // Four sockets are open now: a fifth client is refused before it can authenticate.
      const extra = await openSocket(proxy.port);
      await connect(proxy, 'alice').then(
        () => assert.fail('a fifth connection was accepted'),
        (e: PgFailure) => assert.equal(e.code, '53300'),
      );
      extra.destroy();
      const scraped = await proxy.running.operations.registry.getSingleMetricAsString('parapet_connections_refused_total');
      assert.match(scraped, /reason="max-connections-per-actor"} 2/);
      assert.match(scraped, /reason="max-connections"} 1/);
    } finally {
      await proxy.stop();
    }
  });

  test('the idle timeout closes a waiting session: 57P05 when idle, 25P03 inside a transaction; a long statement is not idle', async () => {
    const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, limits: { idleTimeoutMs: 400 } });
    try {
      const idle = await connect(proxy, 'alice');
      const inTransaction = await connect(proxy, 'alice');
      await inTransaction.client.query('begin');
      const working = await connect(proxy, 'alice');
      const result = await working.client.query('select pg_sleep(1), 5 as n');
      assert.equal(result.rows[0].n, 5);
      await waitFor(() => idle.errors.length > 0 && inTransaction.errors.length > 0);
      assert.equal(idle.errors[0]!.code, '57P05');
      assert.equal(inTransaction.errors[0]!.code, '25P03');
      assert.ok(proxy.logs.some((l) => l.includes('idle for 400 ms')));
    } finally {
      await proxy.stop();
    }
  });

  test('the statement timeout is set upstream; the actor may lower it but not lift it, by SET, set_config or startup options', async () => {
    const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, limits: { statementTimeoutMs: 800, actors: [{ kinds: ['agent'], statementTimeoutMs: 300 }] } });
    try {
      const { client } = await connect(proxy, 'alice', { options: '-c statement_timeout=0' });
      assert.equal((await client.query('show statement_timeout')).rows[0].statement_timeout, '800ms');
      await assert.rejects(client.query('select pg_sleep(3)'), (e: PgFailure) => e.code === '57014' && /statement timeout/.test(e.message));

      const pinned = (e: PgFailure): boolean => e.code === '42501' && /proxy\.pinned-setting/.test(e.detail ?? '');
      await assert.rejects(client.query('set statement_timeout = 0'), pinned);
      await assert.rejects(client.query("set statement_timeout = '1h'"), pinned);
      await assert.rejects(client.query("select set_config('statement_timeout', '0', false)"), pinned);
      await assert.rejects(client.query("select set_config(lower('STATEMENT_TIMEOUT'), '0', false)"), pinned);
      await client.query("set statement_timeout = '200ms'");
      assert.equal((await client.query('show statement_timeout')).rows[0].statement_timeout, '200ms');
      await client.query('reset statement_timeout');
      assert.equal((await client.query('show statement_timeout')).rows[0].statement_timeout, '800ms');
      await client.query('set lock_timeout = 0');

      const agent = await connect(proxy, 'bot');
      assert.equal((await agent.client.query('show statement_timeout')).rows[0].statement_timeout, '300ms');
    } finally {
      await proxy.stop();
    }
  });
});
