/**
 * Catalog reads on a lent session, against the real PostgreSQL (the oracle for transaction and
 * savepoint semantics): the session comes back as it was — idle stays idle; a transaction stays
 * open, read-write, with its own search_path and its writes; the unnamed statement survives — a
 * failed read fails the loan's later reads but not the client's transaction, and an aborted
 * transaction is refused before a byte is sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withLentQueries, type BorrowedSession } from '../../src/catalog/lent-queries.js';
import { CatalogError } from '../../src/catalog/errors.js';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import type { TransactionStatus } from '../../src/protocol/codes.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import { connectUpstream, type UpstreamConnection } from '../../src/upstream/connect.js';
import { FrameSource } from '../../src/upstream/frame-source.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { simpleQueryResult } from '../../src/upstream/simple-query.js';
import { createTestDatabase, PG_ADMIN_USER, PG_HOST, PG_PORT, postgresReachable } from '../support/postgres.js';

const reachable = await postgresReachable();

/** Sends raw messages and reads the replies through ReadyForQuery. */
async function exchange(conn: UpstreamConnection, ...messages: Buffer[]): Promise<BackendMessage[]> {
  const source = new FrameSource(conn.socket, conn.reader, 'test', (e) => new UpstreamError('closed', e.message));
  const out: BackendMessage[] = [];
  try {
    conn.socket.write(Buffer.concat(messages));
    for (;;) {
      const message = decodeBackend(await source.next());
      out.push(message);
      if (message.type === 'ReadyForQuery') return out;
    }
  } finally {
    source.release();
  }
}

describe('catalog reads on a lent session', { skip: !reachable && 'PostgreSQL is unreachable' }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let conn: UpstreamConnection;
  const query = (sql: string) => simpleQueryResult(conn, sql);
  const lent = (status: TransactionStatus): BorrowedSession => ({ socket: conn.socket, reader: conn.reader, status });

  before(async () => {
    db = await createTestDatabase('parapet_embedded_lent');
    conn = await connectUpstream({ host: PG_HOST, port: PG_PORT, user: PG_ADMIN_USER, database: db.name });
    await query('CREATE TABLE t (x int)');
  });
  after(async () => {
    conn?.close();
    await db?.drop();
  });

  test('idle: the reads see pg_catalog first and read-only, and the session stays idle', async () => {
    const seen = await withLentQueries(lent('I'), async (reads) => {
      const [[path, readOnly]] = (await reads.rows("SELECT current_setting('search_path'), current_setting('transaction_read_only')")) as [[string, string]];
      const fields = await reads.describe('SELECT relname FROM pg_class');
      return { path, readOnly, fields: fields.map((f) => f.name) };
    });
    assert.deepEqual(seen, { path: 'pg_catalog', readOnly: 'on', fields: ['relname'] });
    const after = await query("SELECT current_setting('search_path')");
    assert.equal(after.status, 'I');
    assert.notEqual(after.rows[0]![0], 'pg_catalog');
  });

  test('in a transaction: savepoint, then the transaction is as it was — open, read-write, its own writes and settings', async () => {
    await query("BEGIN; INSERT INTO t VALUES (1); SET LOCAL search_path = public, pg_temp");
    const tables = await withLentQueries(lent('T'), (reads) => reads.rows("SELECT relname FROM pg_class WHERE relname = 't'"));
    assert.deepEqual(tables, [['t']]);
    const back = await query("INSERT INTO t VALUES (2); SELECT count(*), current_setting('search_path'), current_setting('transaction_read_only') FROM t");
    assert.equal(back.status, 'T');
    assert.deepEqual(back.rows, [['2', 'public, pg_temp', 'off']]);
    await query('ROLLBACK');
  });

  test('the unnamed statement survives a loan', async () => {
    await exchange(conn, fe.parse('', 'SELECT 42'), fe.sync());
    await withLentQueries(lent('I'), (reads) => reads.rows('SELECT 1'));
    const replies = await exchange(conn, fe.bind({}), fe.execute(), fe.sync());
    const row = replies.find((m) => m.type === 'DataRow');
    assert.equal(row?.type === 'DataRow' ? row.values[0]?.toString() : undefined, '42');
  });

  test('a failed read fails the loan’s later reads, not the client’s transaction', async () => {
    await query('BEGIN; INSERT INTO t VALUES (3)');
    const outcome = await withLentQueries(lent('T'), async (reads) => {
      await assert.rejects(reads.rows('SELECT 1/0'), (e: CatalogError) => e.code === 'query-failed' && /division by zero/.test(e.message));
      await assert.rejects(reads.rows('SELECT 1'), (e: CatalogError) => e.code === 'query-failed');
      return 'done';
    });
    assert.equal(outcome, 'done');
    const back = await query('SELECT count(*) FROM t');
    assert.equal(back.status, 'T');
    assert.deepEqual(back.rows, [['1']]);
    await query('ROLLBACK');
  });

  test('an aborted transaction is refused before anything is sent', async () => {
    await query('BEGIN');
    await assert.rejects(query('SELECT 1/0'));
    let ran = false;
    await assert.rejects(
      withLentQueries(lent('E'), async () => {
        ran = true;
      }),
      (e: CatalogError) => e.code === 'transaction-aborted',
    );
    assert.equal(ran, false);
    assert.equal((await query('ROLLBACK')).status, 'I');
  });
});
