/**
 * Clients that vanish: mid-statement (the upstream statement is cancelled, not left running until
 * it next writes), mid-result, inside a transaction, during authentication. Afterwards no upstream
 * session of theirs is left, and Parapet holds no client connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fe from '../../src/protocol/encode-frontend.js';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY, adminRows } from '../proxy/fixtures.js';
import type { Socket } from 'node:net';
import { login, openSocket } from './wire-session.js';
import { waitFor } from '../support/wait.js';

describe('clients that vanish', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  let proxy: ProxyHarness;
  before(async () => {
    db = await createUpstream('parapet_vanish');
    proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  const backends = (where = 'true'): Promise<unknown[]> =>
    adminRows(db.adminUrl, `select pid, application_name, state, query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and ${where}`);
  const connect = (name: string) => login({ port: proxy.port, user: 'alice', password: SECRETS.alice, database: db.database, parameters: { application_name: name } });

  test('mid-statement: the upstream statement is cancelled and its session closed', async () => {
    const session = await connect('vanish-mid-statement');
    session.socket.write(fe.query('select pg_sleep(120)'));
    await waitFor(async () => (await backends("application_name = 'vanish-mid-statement' and state = 'active'")).length === 1);
    session.socket.destroy();
    await waitFor(async () => (await backends("application_name = 'vanish-mid-statement'")).length === 0);
  });

  test('mid-result, inside a transaction, during authentication: nothing is left behind', async () => {
    const result = await connect('vanish-mid-result');
    result.socket.write(fe.query("select g, repeat('x', 200) from generate_series(1, 2000000) g"));
    await firstData(result.socket);
    result.socket.destroy();

    const transaction = await connect('vanish-in-transaction');
    transaction.socket.write(fe.query('begin; create table vanished_midway (id int)'));
    await firstData(transaction.socket);
    transaction.socket.destroy();

    const authenticating = await openSocket(proxy.port);
    authenticating.write(fe.startupMessage({ user: 'alice', database: db.database }));
    await firstData(authenticating);
    authenticating.destroy();

    const halfStartup = await openSocket(proxy.port);
    halfStartup.write(fe.startupMessage({ user: 'alice', database: db.database }).subarray(0, 10));
    halfStartup.destroy();

    await waitFor(async () => (await backends()).length === 0, 15_000, backends);
    await waitFor(() => proxy.running.server.connections === 0, 15_000, () => proxy.running.server.connections);
    assert.deepEqual(await adminRows(db.adminUrl, "select 1 from pg_tables where tablename = 'vanished_midway'"), []);
  });

  test('twenty clients vanishing at random moments of a running statement leave no upstream session', async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(`vanish-crowd-${i}`)));
    for (const [i, s] of sessions.entries()) s.socket.write(fe.query(i % 2 ? 'select pg_sleep(60)' : 'select count(*) from generate_series(1, 50000000)'));
    for (const [i, s] of sessions.entries()) setTimeout(() => s.socket.destroy(), i * 10);
    await waitFor(async () => (await backends()).length === 0, 30_000);
    await waitFor(() => proxy.running.server.connections === 0);
  });
});

/** Resolves at the first bytes the server sends (the socket may have been paused). */
function firstData(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('data', () => resolve());
    socket.resume();
  });
}
