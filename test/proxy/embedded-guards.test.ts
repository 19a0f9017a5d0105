/**
 * The live guards on the embedded default (PGlite, one backend session for everyone): the catalog
 * reads on the client's own session between its messages, and the sample agent's reads come back
 * masked and capped as they would in front of a real PostgreSQL. The loans leave the session as
 * they found it: a transaction stays usable and read-write, the unnamed statement survives, an
 * aborted transaction is not touched, and no ParameterStatus of Parapet's reads reaches the client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import type { BackendMessage } from '../../src/protocol/backend.js';
import { startProxy, type ProxyHarness } from '../support/proxy-harness.js';
import { RawClient, errorCodes, statusOf } from './raw-client.js';

let proxy: ProxyHarness;
interface Notice {
  message?: string | undefined;
  detail?: string | undefined;
}

const PASSWORDS = { alice: 'alice-dev', agent: 'agent-dev' } as const;

async function session<T>(actor: keyof typeof PASSWORDS, work: (client: pg.Client, notices: Notice[]) => Promise<T>): Promise<T> {
  const client = new pg.Client(proxy.url(actor, PASSWORDS[actor]));
  const notices: Notice[] = [];
  client.on('notice', (n) => notices.push(n));
  await client.connect();
  try {
    return await work(client, notices);
  } finally {
    await client.end();
  }
}

async function raw(actor: keyof typeof PASSWORDS): Promise<RawClient> {
  const { client, messages } = await RawClient.login({ port: proxy.port, user: actor, password: PASSWORDS[actor], database: 'postgres' });
  assert.equal(statusOf(messages), 'I', JSON.stringify(errorCodes(messages)));
  return client;
}

const dataRows = (messages: BackendMessage[]) => messages.flatMap((m) => (m.type === 'DataRow' ? [m.values.map((v) => v?.toString('utf8') ?? null)] : []));

describe('live guards on the embedded default', () => {
  before(async () => {
    proxy = await startProxy({ limits: { upstreamWaitMs: 2000 } });
  });
  after(async () => {
    await proxy?.stop();
  });

  test('the welcome text promises what the agent gets', () => {
    assert.match(proxy.running.welcome ?? '', /email, phone and ssn come back masked, and only 100 of the 200 rows/);
  });

  test('the agent’s SELECT * FROM customers: pii and secret columns masked, 100 of 200 rows, with a notice', async () => {
    await session('agent', async (client, notices) => {
      const result = await client.query('SELECT * FROM customers ORDER BY id');
      assert.equal(result.rows.length, 100);
      for (const column of ['email', 'phone', 'ssn']) {
        // NULL stays NULL; every value is masked.
        const values = new Set(result.rows.map((row) => row[column]).filter((v) => v !== null));
        assert.deepEqual([...values], ['****'], column);
      }
      assert.ok(result.rows.every((row) => row.name !== '****'));
      assert.ok(notices.some((n) => /max-result-rows/.test(n.detail ?? '')), JSON.stringify(notices.map((n) => n.message)));
    });
  });

  test('the extended protocol and a view are masked too; alice reads in clear', async () => {
    await session('agent', async (client) => {
      const bound = await client.query('SELECT name, email FROM customers WHERE id = $1', [7]);
      assert.equal(bound.rows[0].email, '****');
      const view = await client.query('SELECT email FROM customer_emails WHERE id = 7');
      assert.equal(view.rows[0].email, '****');
    });
    await session('alice', async (client) => {
      const clear = await client.query('SELECT email FROM customers WHERE id = 7');
      assert.match(clear.rows[0].email, /@/);
    });
  });

  test('a view created through the proxy is masked at once, in the next session too', async () => {
    await session('alice', async (client) => {
      await client.query('CREATE VIEW contact_list AS SELECT id, upper(email) AS shout, phone FROM customers');
    });
    try {
      await session('agent', async (client) => {
        const result = await client.query('SELECT shout, phone FROM contact_list WHERE id = 3');
        assert.equal(result.rows[0].phone, '****');
        assert.equal(result.rows[0].shout, '****');
      });
    } finally {
      await session('alice', (client) => client.query('DROP VIEW contact_list').catch(() => client.query('SELECT 1')));
    }
  });

  test('inside a transaction: the catalog reads in a savepoint and the transaction stays usable and read-write', async () => {
    await session('alice', async (client) => {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE scratch (x int)');
      // The DDL made the catalog stale: this statement's prepare (before its Parse, in the extended
      // protocol) reads it again inside the transaction.
      await client.query('INSERT INTO scratch VALUES ($1), ($2)', [1, 2]);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM scratch')).rows[0].n, 2);
      assert.equal((await client.query('SHOW transaction_read_only')).rows[0].transaction_read_only, 'off');
      assert.notEqual((await client.query('SHOW search_path')).rows[0].search_path, 'pg_catalog');
      await client.query('COMMIT');
      assert.equal((await client.query('SELECT count(*)::int AS n FROM scratch')).rows[0].n, 2);
    });
    await session('agent', async (client) => {
      await client.query('BEGIN');
      const result = await client.query('SELECT email FROM customers WHERE id = 1');
      assert.equal(result.rows[0].email, '****');
      await client.query('COMMIT');
    });
  });

  test('an aborted transaction is left alone: the server’s own error, then ROLLBACK, then guarded as before', async () => {
    await session('alice', async (client) => {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE doomed (x int)');
      await assert.rejects(client.query('SELECT 1 / 0'), (e: pg.DatabaseError) => e.code === '22012');
      // Stale catalog, aborted transaction: no loan; the server refuses as it would without Parapet.
      await assert.rejects(client.query('SELECT * FROM customers'), (e: pg.DatabaseError) => e.code === '25P02');
      await client.query('ROLLBACK');
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      await assert.rejects(client.query('SELECT * FROM doomed'), (e: pg.DatabaseError) => e.code === '42P01');
    });
    await session('agent', async (client) => {
      await client.query('BEGIN');
      await assert.rejects(client.query('SELECT 1 / 0'), (e: pg.DatabaseError) => e.code === '22012');
      await assert.rejects(client.query('SELECT email FROM customers'), (e: pg.DatabaseError) => e.code === '25P02');
      await client.query('ROLLBACK');
      assert.equal((await client.query('SELECT email FROM customers WHERE id = 2')).rows[0].email, '****');
    });
  });

  test('a loan keeps the client’s unnamed statement and sends it no ParameterStatus', async () => {
    const client = await raw('alice');
    try {
      client.send(fe.parse('', 'SELECT 42 AS answer'), fe.sync());
      assert.equal(statusOf(await client.untilReady()), 'I');
      // DDL makes the catalog stale, so the next segment begins with a loan of the session.
      client.send(fe.parse('ddl', 'CREATE TEMP TABLE loaned (x int)'), fe.bind({ statement: 'ddl' }), fe.execute(), fe.close('S', 'ddl'), fe.sync());
      assert.deepEqual(errorCodes(await client.untilReady()), []);
      client.send(fe.bind({}), fe.execute(), fe.sync());
      const replies = await client.untilReady();
      assert.deepEqual(errorCodes(replies), []);
      assert.deepEqual(dataRows(replies), [['42']]);
      assert.deepEqual(replies.filter((m) => m.type === 'ParameterStatus' || m.type === 'NoticeResponse'), []);
      const shown = await client.query('SHOW search_path');
      assert.notEqual(dataRows(shown)[0]?.[0], 'pg_catalog');
    } finally {
      client.close();
    }
  });
});
