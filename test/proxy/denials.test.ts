/**
 * Refused statements in both protocols, at the wire: the error the client sees, the transaction
 * state afterwards (compared with the upstream session's real state), and — checked from an
 * independent connection — that nothing of a refused message ran.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fe from '../../src/protocol/encode-frontend.js';
import { needPostgres, postgresReachable, uniqueName } from '../support/postgres.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY, adminRows, upstreamStatus } from './fixtures.js';
import { RawClient, errorCodes, statusOf } from './raw-client.js';
import type { BackendMessage } from '../../src/protocol/backend.js';

let db: TestUpstream;
let proxy: ProxyHarness;

async function login(actor: keyof typeof SECRETS = 'alice', parameters: Record<string, string> = {}) {
  const applicationName = uniqueName('app');
  const { client, messages } = await RawClient.login({
    port: proxy.port,
    user: actor,
    password: SECRETS[actor],
    database: db.database,
    parameters: { application_name: applicationName, ...parameters },
  });
  assert.equal(statusOf(messages), 'I', JSON.stringify(messages));
  return { client, applicationName };
}

/** Sends a simple Query and asserts that Parapet's ReadyForQuery status matches the upstream session's. */
async function exchange(client: RawClient, applicationName: string, sql: string): Promise<BackendMessage[]> {
  const replies = await client.query(sql);
  assert.equal(statusOf(replies), await upstreamStatus(db.adminUrl, applicationName), `status after \`${sql}\``);
  return replies;
}

function errorOf(messages: BackendMessage[]) {
  const error = messages.find((m) => m.type === 'ErrorResponse');
  return error?.type === 'ErrorResponse' ? error.fields : undefined;
}

function tagsOf(messages: BackendMessage[]): string[] {
  return messages.flatMap((m) => (m.type === 'CommandComplete' ? [m.tag] : []));
}

describe('refused statements', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  before(async () => {
    db = await createUpstream();
    await adminRows(db.url, 'create table t (id int primary key, note text)');
    proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  test('a denied simple Query answers the decision, with rule ids in DETAIL, and the session goes on', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    const replies = await exchange(client, applicationName, 'DROP TABLE t');
    const error = errorOf(replies);
    assert.equal(error?.code, '42501');
    assert.match(error?.detail ?? '', /no-drop/);
    assert.equal(statusOf(replies), 'I');
    assert.deepEqual(tagsOf(await exchange(client, applicationName, 'SELECT 1')), ['SELECT 1']);
    client.close();
  });

  test('a statement that does not parse is refused with 42601 and the error position, as PostgreSQL reports it', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    const sql = 'SELECT 1; SELEC 2';
    const error = errorOf(await exchange(client, applicationName, sql));
    assert.equal(error?.code, '42601');
    assert.equal(error?.position, String(sql.indexOf('SELEC 2') + 1));
    client.close();
  });

  test('a denial inside a transaction aborts it on both sides; COMMIT then reports ROLLBACK', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    await exchange(client, applicationName, 'BEGIN');
    await exchange(client, applicationName, "INSERT INTO t VALUES (100, 'in tx')");
    const denied = await exchange(client, applicationName, 'DELETE FROM t');
    assert.deepEqual(errorCodes(denied), ['42501']);
    assert.equal(statusOf(denied), 'E');
    const failed = await exchange(client, applicationName, 'SELECT 1');
    assert.deepEqual(errorCodes(failed), ['25P02']);
    const commit = await exchange(client, applicationName, 'COMMIT');
    assert.deepEqual(tagsOf(commit), ['ROLLBACK']);
    assert.equal(statusOf(commit), 'I');
    assert.deepEqual(await adminRows(db.adminUrl, 'select id from t where id = 100'), []);
    client.close();
  });

  test('transaction state agrees with the upstream after every message of a mixed script', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    const script = [
      'BEGIN',
      "INSERT INTO t VALUES (600, 'a')",
      'SAVEPOINT s1',
      'DELETE FROM t', // denied: aborts the transaction, savepoint or not
      'ROLLBACK TO SAVEPOINT s1',
      "INSERT INTO t VALUES (601, 'b')",
      'SELECT 1/0', // the server's own error
      'ROLLBACK TO s1',
      'COMMIT',
      'DROP TABLE t', // denied outside a transaction
      'BEGIN; SELECT 1; COMMIT',
      'BEGIN; DELETE FROM t', // denied as a whole: the BEGIN does not run either
      'START TRANSACTION',
      'UPDATE t SET note = NULL', // denied
      'END',
      '',
    ];
    for (const sql of script) await exchange(client, applicationName, sql);
    assert.deepEqual((await adminRows<{ id: number }>(db.adminUrl, 'select id from t where id in (600, 601) order by id')).map((r) => r.id), [600]);
    client.close();
  });

  test('a message with one denied statement runs none of them', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    const replies = await exchange(client, applicationName, "INSERT INTO t VALUES (200, 'a'); DELETE FROM t; INSERT INTO t VALUES (201, 'b')");
    assert.deepEqual(errorCodes(replies), ['42501']);
    assert.deepEqual(tagsOf(replies), []);
    assert.deepEqual(await adminRows(db.adminUrl, 'select id from t where id in (200, 201)'), []);
    client.close();
  });

  test('pipeline [INSERT, denied DELETE, Sync]: the INSERT is rolled back, one error, then ReadyForQuery', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    client.send(
      fe.parse('', 'INSERT INTO t VALUES ($1, $2)'),
      fe.bind({ params: ['300', 'pipelined'] }),
      fe.execute(),
      fe.parse('', 'DELETE FROM t'),
      fe.bind({}),
      fe.execute(),
      fe.sync(),
    );
    const replies = await client.untilReady();
    assert.deepEqual(
      replies.map((m) => m.type),
      ['ParseComplete', 'BindComplete', 'CommandComplete', 'ParseComplete', 'ErrorResponse', 'ReadyForQuery'],
    );
    assert.equal(errorOf(replies)?.code, '42501');
    assert.equal(statusOf(replies), await upstreamStatus(db.adminUrl, applicationName));
    assert.deepEqual(await adminRows(db.adminUrl, 'select id from t where id = 300'), []);
    // The session is usable, and a good pipeline commits.
    client.send(fe.parse('', 'INSERT INTO t VALUES ($1, $2)'), fe.bind({ params: ['301', 'ok'] }), fe.execute(), fe.sync());
    assert.equal(statusOf(await client.untilReady()), 'I');
    assert.equal((await adminRows(db.adminUrl, 'select id from t where id = 301')).length, 1);
    client.close();
  });

  test('an extended-protocol denial inside a transaction leaves it failed on both sides', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    await exchange(client, applicationName, 'BEGIN');
    client.send(fe.parse('', 'UPDATE t SET note = $1'), fe.bind({ params: ['x'] }), fe.execute(), fe.sync());
    const replies = await client.untilReady();
    assert.deepEqual(errorCodes(replies), ['42501']);
    assert.equal(statusOf(replies), 'E');
    assert.equal(await upstreamStatus(db.adminUrl, applicationName), 'E');
    assert.equal(statusOf(await exchange(client, applicationName, 'ROLLBACK')), 'I');
    client.close();
  });

  test('SQL-level PREPARE/EXECUTE: EXECUTE is decided on the body; unknown or failed names are refused', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    await exchange(client, applicationName, "INSERT INTO t VALUES (400, 'keep')");
    const prepared = await exchange(client, applicationName, 'PREPARE wipe AS DELETE FROM t');
    if (errorCodes(prepared).length === 0) {
      const executed = await exchange(client, applicationName, 'EXECUTE wipe');
      assert.deepEqual(errorCodes(executed), ['42501']);
      // The protocol can name a statement made by PREPARE: Bind is decided on the same body.
      client.send(fe.bind({ statement: 'wipe' }), fe.execute(), fe.sync());
      assert.deepEqual(errorCodes(await client.untilReady()), ['42501']);
    }
    const unknown = await exchange(client, applicationName, 'EXECUTE never_prepared');
    assert.match(errorOf(unknown)?.detail ?? '', /proxy\.unknown-prepared-statement/);
    // A PREPARE that fails upstream never makes its name known.
    assert.deepEqual(errorCodes(await exchange(client, applicationName, 'PREPARE ghost AS SELECT * FROM no_such_table')), ['42P01']);
    assert.match(errorOf(await exchange(client, applicationName, 'EXECUTE ghost'))?.detail ?? '', /proxy\.unknown-prepared-statement/);
    assert.equal((await adminRows(db.adminUrl, 'select id from t where id = 400')).length, 1);
    client.close();
  });

  test('a prepared name keeps what the server prepared when a second PREPARE of it fails', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    assert.deepEqual(errorCodes(await exchange(client, applicationName, 'PREPARE q AS SELECT 1')), []);
    assert.deepEqual(errorCodes(await exchange(client, applicationName, 'PREPARE q AS SELECT 2')), ['42P05']);
    const run = await exchange(client, applicationName, 'EXECUTE q');
    const row = run.find((m) => m.type === 'DataRow');
    assert.equal(row?.type === 'DataRow' ? row.values[0]?.toString() : undefined, '1');
    client.close();
  });

  test('COPY FROM STDIN through the extended protocol, with the Sync the server ignores during copy-in', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    client.send(fe.parse('', 'COPY t FROM STDIN'), fe.bind({}), fe.execute(), fe.sync());
    const started: string[] = [];
    for (let m = await client.next(); m; m = await client.next()) {
      started.push(m.type);
      if (m.type === 'CopyInResponse') break;
    }
    assert.deepEqual(started, ['ParseComplete', 'BindComplete', 'CopyInResponse']);
    client.send(fe.copyData(Buffer.from('700\tcopied\n701\tcopied\n')), fe.copyDone(), fe.sync());
    const finished = await client.untilReady();
    assert.deepEqual(finished.map((m) => m.type), ['CommandComplete', 'ReadyForQuery']);
    assert.equal(statusOf(finished), await upstreamStatus(db.adminUrl, applicationName));
    assert.equal((await adminRows(db.adminUrl, 'select id from t where id in (700, 701)')).length, 2);
    assert.equal(statusOf(await exchange(client, applicationName, 'SELECT 1')), 'I');
    client.close();
  });

  test('the FunctionCall message is decided as the SQL call of the function its OID names', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login();
    client.send(fe.functionCall({ functionOid: 1299 /* now() */, args: [] }));
    const allowed = await client.untilReady();
    assert.equal(errorOf(allowed), undefined, JSON.stringify(allowed));
    assert.ok(allowed.some((m) => m.type === 'FunctionCallResponse' && m.value !== null));

    const [row] = await adminRows<{ oid: string }>(db.url, "select 'pg_catalog.pg_read_file(text)'::regprocedure::oid::text as oid");
    client.send(fe.functionCall({ functionOid: Number(row!.oid), args: [Buffer.from('/etc/passwd')] }));
    const denied = await client.untilReady();
    assert.equal(errorOf(denied)?.code, '42501');
    assert.match(errorOf(denied)?.detail ?? '', /no-server-file-access/);
    assert.equal(statusOf(denied), await upstreamStatus(db.adminUrl, applicationName));

    client.send(fe.functionCall({ functionOid: 4_000_000_000, args: [] }));
    const unknown = await client.untilReady();
    assert.match(errorOf(unknown)?.detail ?? '', /proxy\.function-call/);
    assert.equal(statusOf(unknown), await upstreamStatus(db.adminUrl, applicationName));
    client.close();
  });

  test('a read-only actor runs read-only upstream in a way RESET ALL cannot undo', async (t) => {
    if (!(await needPostgres(t))) return;
    const { client, applicationName } = await login('bot');
    const show = async () => {
      const replies = await exchange(client, applicationName, 'SHOW default_transaction_read_only');
      const row = replies.find((m) => m.type === 'DataRow');
      return row?.type === 'DataRow' ? row.values[0]?.toString() : undefined;
    };
    assert.equal(await show(), 'on');
    assert.deepEqual(errorCodes(await exchange(client, applicationName, 'SET default_transaction_read_only = off')), ['42501']);
    assert.deepEqual(errorCodes(await exchange(client, applicationName, "INSERT INTO t VALUES (500, 'bot')")), ['42501']);
    client.close();
    // Directly on the upstream as the same non-superuser role: RESET ALL keeps the startup option.
    const pg = await import('pg');
    const direct = new pg.default.Client({ connectionString: db.url, options: '-c default_transaction_read_only=on' });
    await direct.connect();
    await direct.query('RESET ALL');
    await direct.query('DISCARD ALL');
    assert.equal((await direct.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only, 'on');
    await direct.end();
  });
});
