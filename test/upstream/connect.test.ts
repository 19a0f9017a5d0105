/** The upstream client against the shared PostgreSQL (trust auth): session, parameters, queries, cancel, role risks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connectUpstream } from '../../src/upstream/connect.js';
import type { UpstreamConnection, UpstreamOptions } from '../../src/upstream/connect.js';
import { simpleQuery, simpleQueryResult } from '../../src/upstream/simple-query.js';
import { checkUpstreamRole } from '../../src/upstream/role-check.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { decodeBackend } from '../../src/protocol/backend.js';
import { PG_ADMIN_USER, PG_HOST, PG_PORT, adminQuery, needPostgres, uniqueName } from '../support/postgres.js';

const admin: UpstreamOptions = { host: PG_HOST, port: PG_PORT, user: PG_ADMIN_USER, database: 'postgres' };
const isCode = (code: string) => (e: unknown) => e instanceof UpstreamError && e.code === code;

async function withConnection<T>(options: UpstreamOptions, use: (conn: UpstreamConnection) => Promise<T>): Promise<T> {
  const conn = await connectUpstream(options);
  try {
    return await use(conn);
  } finally {
    conn.close();
  }
}

test('trust login: parameters, key data, pinned settings, options and application_name', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection({ ...admin, applicationName: 'parapet-test', options: '-c default_transaction_read_only=on', parameters: { DateStyle: 'ISO, DMY' } }, async (conn) => {
    assert.equal(conn.parameters.get('client_encoding'), 'UTF8');
    assert.equal(conn.parameters.get('standard_conforming_strings'), 'on');
    assert.equal(conn.parameters.get('application_name'), 'parapet-test');
    assert.equal(conn.parameters.get('DateStyle'), 'ISO, DMY');
    assert.match(conn.parameters.get('server_version') ?? '', /^\d+/);
    assert.ok(conn.processId > 0);
    assert.equal(conn.secretKey.length, 4);
    assert.equal(conn.reader.bufferedBytes, 0);
    assert.deepEqual(await simpleQuery(conn, 'show default_transaction_read_only'), [['on']]);
    assert.deepEqual(await simpleQuery(conn, 'select pg_backend_pid()'), [[String(conn.processId)]]);
  });
});

test('the pinned settings win over the caller\'s', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection({ ...admin, options: '-c standard_conforming_strings=off', parameters: { client_encoding: 'LATIN1', options: '-c standard_conforming_strings=off' } }, async (conn) => {
    assert.deepEqual(await simpleQuery(conn, 'show standard_conforming_strings; show client_encoding'), [['on'], ['UTF8']]);
  });
});

test('simple queries: rows, NULLs, several statements, errors leave the session usable', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection(admin, async (conn) => {
    const result = await simpleQueryResult(conn, "select 1 as a, null as b, 'ü' as c; begin; set local work_mem = '8MB'");
    assert.deepEqual(result.rows, [['1', null, 'ü']]);
    assert.deepEqual(result.commandTags, ['SELECT 1', 'BEGIN', 'SET']);
    assert.equal(result.status, 'T');
    await assert.rejects(simpleQuery(conn, 'select * from no_such_table_x'), (e: unknown) => e instanceof UpstreamError && e.code === 'query-failed' && e.sqlstate === '42P01');
    assert.equal((await simpleQueryResult(conn, 'rollback')).status, 'I');
    // Calls on one connection are serialized.
    const [x, y] = await Promise.all([simpleQuery(conn, 'select 1'), simpleQuery(conn, 'select 2')]);
    assert.deepEqual([x, y], [[['1']], [['2']]]);
    assert.deepEqual(await simpleQuery(conn, ''), []);
    assert.deepEqual(await simpleQuery(conn, 'discard all'), []);
  });
});

test('notices and notifications arriving during a query are handed back', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection(admin, async (conn) => {
    const channel = uniqueName('ch');
    await simpleQuery(conn, `listen ${channel}`);
    const result = await simpleQueryResult(conn, `do $$ begin raise notice 'hello'; end $$; notify ${channel}, 'payload'`);
    const types = result.asynchronous.map((frame) => decodeBackend(frame).type);
    assert.ok(types.includes('NoticeResponse'));
    assert.ok(types.includes('NotificationResponse'));
  });
});

test('after login the socket is handed over paused, ready for the next owner', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection(admin, async (conn) => {
    assert.equal(conn.socket.listenerCount('data'), 0);
    assert.equal(conn.socket.isPaused(), true);
    // Nothing of the login stays attached for the session's life (it would hold the login's state):
    // only the one error guard that keeps a later socket error from crashing the process.
    assert.equal(new Set(conn.socket.listeners('error')).size, 1);
    assert.equal(conn.socket.listenerCount('close'), 0);
    assert.equal(conn.socket.listenerCount('connect'), 0);
    conn.socket.on('data', () => {});
    await assert.rejects(simpleQuery(conn, 'select 1'), isCode('protocol'), 'refuses to share the socket with another reader');
    conn.socket.removeAllListeners('data');
    conn.socket.pause();
  });
});

test('cancel: a running pg_sleep fails with 57014', async (t) => {
  if (!(await needPostgres(t))) return;
  await withConnection(admin, async (conn) => {
    const sleeping = simpleQuery(conn, 'select pg_sleep(30)').then(() => undefined, (error: unknown) => error);
    // Cancel once the statement runs (seen from another session), not before.
    for (let i = 0; i < 100; i++) {
      const rows = await adminQuery("select 1 from pg_stat_activity where pid = $1 and state = 'active'", [conn.processId]);
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await conn.cancel();
    const error = await sleeping;
    assert.ok(error instanceof UpstreamError && error.code === 'query-failed' && error.sqlstate === '57014');
    assert.deepEqual(await simpleQuery(conn, 'select 1'), [['1']]);
  });
});

test('role check: the admin role is a superuser; a plain role has no risks; CREATEROLE and memberships are seen', async (t) => {
  if (!(await needPostgres(t))) return;
  const plain = uniqueName('parapet_plain');
  const risky = uniqueName('parapet_risky');
  await adminQuery(`create role ${plain} login; create role ${risky} login createrole bypassrls; grant pg_read_server_files to ${risky}`);
  try {
    assert.deepEqual(await withConnection(admin, checkUpstreamRole), {
      role: PG_ADMIN_USER,
      risks: ['superuser', 'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'bypassrls', 'createrole'],
    });
    assert.deepEqual(await withConnection({ ...admin, user: plain }, checkUpstreamRole), { role: plain, risks: [] });
    assert.deepEqual(await withConnection({ ...admin, user: risky }, checkUpstreamRole), { role: risky, risks: ['pg_read_server_files', 'bypassrls', 'createrole'] });
  } finally {
    await adminQuery(`drop role if exists ${plain}; drop role if exists ${risky}`);
  }
});

test('server refusals: unknown database is server-error 3D000, unknown role is auth-failed 28000', async (t) => {
  if (!(await needPostgres(t))) return;
  await assert.rejects(connectUpstream({ ...admin, database: uniqueName('nodb') }), (e: unknown) => e instanceof UpstreamError && e.code === 'server-error' && e.sqlstate === '3D000');
  await assert.rejects(connectUpstream({ ...admin, user: uniqueName('nobody') }), (e: unknown) => e instanceof UpstreamError && e.code === 'auth-failed' && e.sqlstate === '28000');
});

test('a refused port fails with connect-refused', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  await assert.rejects(connectUpstream({ ...admin, host: '127.0.0.1', port }), isCode('connect-refused'));
  await assert.rejects(connectUpstream({ ...admin, socketPath: '/nonexistent/.s.PGSQL.5432' }), isCode('connect-refused'));
});
