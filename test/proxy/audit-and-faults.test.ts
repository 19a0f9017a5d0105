/**
 * What the proxy leaves in the audit trail (session events, a decision per statement, outcomes with
 * rows), and how it behaves when the upstream goes away and comes back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { needPostgres, postgresReachable, PG_HOST, PG_PORT } from '../support/postgres.js';
import { createUpstream, startProxy, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from './fixtures.js';
import { waitFor } from '../support/wait.js';

let db: TestUpstream;

describe('audit records and upstream faults', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  before(async () => {
    db = await createUpstream();
  });
  after(async () => {
    await db?.drop();
  });

  test('sessions, decisions and outcomes are recorded; denials too; failed logins without an actor', async (t) => {
    if (!(await needPostgres(t))) return;
    const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
    try {
      const client = new pg.Client({ connectionString: proxy.url('alice', SECRETS.alice), application_name: 'audit-test' });
      await client.connect();
      await client.query('create table audited (id int)');
      await client.query('insert into audited select generate_series(1, 5)');
      await client.query({ text: 'select * from audited where id > $1', values: [2] });
      await assert.rejects(client.query('delete from audited'));
      await client.end();
      const bad = new pg.Client(proxy.url('alice', 'wrong'));
      await assert.rejects(bad.connect());

      await waitFor(async () => (await proxy.auditRecords({ kind: 'session' })).some((r) => r.kind === 'session' && r.event === 'disconnect'));
      const records = await proxy.auditRecords({ order: 'asc' });
      const decisions = records.filter((r) => r.kind === 'decision');
      assert.deepEqual(
        decisions.map((r) => r.kind === 'decision' && [r.statementKind, r.action]),
        [
          ['create-table', 'allow'],
          ['insert', 'allow'],
          ['select', 'allow'],
          ['delete', 'deny'],
        ],
      );
      const deny = decisions[3]!;
      assert.ok(deny.kind === 'decision' && deny.rules.includes('require-where') && deny.actor.name === 'alice' && deny.applicationName === 'audit-test');
      const outcomes = records.filter((r) => r.kind === 'outcome');
      const insert = outcomes.find((r) => r.kind === 'outcome' && r.decision === decisions[1]!.seq);
      assert.ok(insert?.kind === 'outcome');
      assert.equal(insert.rows, 5);
      const select = outcomes.find((r) => r.kind === 'outcome' && r.decision === decisions[2]!.seq);
      assert.ok(select?.kind === 'outcome');
      assert.equal(select.rows, 3);
      // Every outcome comes after its decision in the chain.
      for (const outcome of outcomes) assert.ok(outcome.kind === 'outcome' && outcome.seq > outcome.decision);
      const events = records.flatMap((r) => (r.kind === 'session' ? [r.event] : []));
      assert.deepEqual(events.sort(), ['auth-failure', 'connect', 'disconnect']);
    } finally {
      await proxy.stop();
    }
  });

  test('when the audit trail cannot write, statements are refused (fail closed) and nothing runs', async (t) => {
    if (!(await needPostgres(t))) return;
    const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
    const client = new pg.Client(proxy.url('alice', SECRETS.alice));
    try {
      await client.connect();
      await client.query('create table if not exists unaudited (id int)');
      await proxy.running.audit.close();
      await assert.rejects(client.query('insert into unaudited values (1)'), (e: pg.DatabaseError) => e.code === '58030' && /proxy\.audit-unavailable/.test(e.detail ?? ''));
      await assert.rejects(client.query({ text: 'insert into unaudited values ($1)', values: [2] }), (e: pg.DatabaseError) => e.code === '58030');
      const { adminRows } = await import('./fixtures.js');
      assert.deepEqual(await adminRows(db.adminUrl, 'select id from unaudited'), []);
    } finally {
      await client.end().catch(() => {});
      await proxy.stop();
    }
  });

  test('with the upstream down, clients get 08006 promptly; once it is back, sessions work again', async (t) => {
    if (!(await needPostgres(t))) return;
    const relay = new TcpRelay(PG_HOST, PG_PORT);
    const port = await relay.listen();
    const url = new URL(db.url);
    url.port = String(port);
    const proxy = await startProxy({ upstreamUrl: url.toString(), policyYaml: TEST_POLICY, secrets: SECRETS });
    try {
      const ok = new pg.Client(proxy.url('alice', SECRETS.alice));
      await ok.connect();
      assert.equal((await ok.query('select 1 as x')).rows[0].x, 1);
      // The upstream goes away under a live session: it ends with a clear error.
      const ended = new Promise<Error>((resolve) => ok.on('error', resolve));
      await relay.close();
      assert.match((await ended).message, /upstream database closed the connection|terminated/);
      // New sessions fail fast while it is down.
      const down = new pg.Client(proxy.url('alice', SECRETS.alice));
      await assert.rejects(down.connect(), (e: pg.DatabaseError) => e.code === '08006');
      // And succeed once it is back.
      await relay.listen(port);
      const again = new pg.Client(proxy.url('alice', SECRETS.alice));
      await again.connect();
      assert.equal((await again.query('select 2 as x')).rows[0].x, 2);
      await again.end();
    } finally {
      await proxy.stop();
      await relay.close();
    }
  });
});

/** A TCP relay to PostgreSQL that a test can take down and bring back on the same port. */
class TcpRelay {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  listen(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect({ host: this.host, port: this.port });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
