/**
 * max-affected-rows in exact mode on the embedded default (PGlite): sessions there have live guards
 * and advertise exact counts, so the write runs on the client's own (only) session in a savepoint or
 * a transaction Parapet opens, kept within the limit and rolled back past it. PGlite serves one
 * session at a time, so "unchanged" is checked on the same session after the refusal (outside a
 * transaction) or after ROLLBACK, and again from a fresh session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startProxy, type ProxyHarness } from '../support/proxy-harness.js';

const POLICY = `
version: 1
defaults: { human: allow }
actors:
  alice: { kind: human }
rules:
  - rule: max-affected-rows
    params: { rows: 10, mode: exact }
`;

const denied = (pattern: RegExp) => (e: pg.DatabaseError) => e.code === '42501' && /max-affected-rows/.test(e.detail ?? '') && pattern.test(e.message);

describe('exact affected-row counts on the embedded default', () => {
  let proxy: ProxyHarness;

  before(async () => {
    proxy = await startProxy({ policyYaml: POLICY, secrets: { alice: 'alice-dev' }, limits: { upstreamWaitMs: 2000 } });
  });
  after(async () => {
    await proxy?.stop();
  });

  async function session<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(proxy.url('alice', 'alice-dev'));
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  const stock = async (client: pg.Client, where: string): Promise<number> =>
    (await client.query<{ n: number }>(`SELECT sum(stock)::int AS n FROM products WHERE ${where}`)).rows[0]!.n;

  test('at the limit the write runs; one row over it is rolled back and the table is unchanged', async () => {
    const before = await session((client) => stock(client, 'id <= 11'));
    await session(async (client) => {
      assert.equal((await client.query('UPDATE products SET stock = stock + 1 WHERE id <= 10')).rowCount, 10);
      await assert.rejects(client.query('UPDATE products SET stock = stock + 100 WHERE id <= 11'), denied(/11 rows, more than the limit of 10/));
      // The session goes on, and nothing of the rolled-back run is left.
      assert.equal(await stock(client, 'id <= 11'), before + 10);
    });
    assert.equal(await session((client) => stock(client, 'id <= 11')), before + 10);
    // Counted, not estimated: the audit records carry the figures and their mode.
    const impacts = (await proxy.auditRecords({ actor: 'alice', kind: 'decision' })).flatMap((r) => (r.kind === 'decision' && r.impact ? [{ action: r.action, impact: r.impact }] : []));
    assert.deepEqual(impacts.filter((r) => r.impact.mode === 'exact').map((r) => [r.action, r.impact.rows]), [['allow', 10], ['deny', 11]]);
  });

  test('in a transaction: an allowed write stays usable; a denied one leaves the transaction aborted and rolls back', async () => {
    const before = await session((client) => stock(client, 'id BETWEEN 21 AND 40'));
    await session(async (client) => {
      await client.query('BEGIN');
      assert.equal((await client.query('UPDATE products SET stock = stock + 1 WHERE id BETWEEN 21 AND 30')).rowCount, 10);
      assert.equal(await stock(client, 'id BETWEEN 21 AND 40'), before + 10);
      await client.query('COMMIT');
      assert.equal(await stock(client, 'id BETWEEN 21 AND 40'), before + 10);

      await client.query('BEGIN');
      await client.query('UPDATE products SET stock = stock + 1 WHERE id = 31');
      await assert.rejects(client.query('UPDATE products SET stock = stock + 1 WHERE id BETWEEN 32 AND 42'), denied(/11 rows/));
      await assert.rejects(client.query('SELECT 1'), (e: pg.DatabaseError) => e.code === '25P02');
      await client.query('ROLLBACK');
      assert.equal(await stock(client, 'id BETWEEN 21 AND 40'), before + 10);
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    });
    assert.equal(await session((client) => stock(client, 'id BETWEEN 21 AND 40')), before + 10);
  });

  test('rows deleted by a cascade are counted', async () => {
    const items = async (client: pg.Client): Promise<number> => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM order_items WHERE order_id <= 4')).rows[0]!.n;
    const cascaded = await session(items);
    assert.ok(4 + cascaded > 10, `orders 1-4 have ${cascaded} items`);
    await session(async (client) => {
      await assert.rejects(client.query('DELETE FROM orders WHERE id <= 4'), denied(new RegExp(`${4 + cascaded} rows`)));
      assert.equal(await items(client), cascaded);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM orders WHERE id <= 4')).rows[0].n, 4);
    });
  });

  test('after DDL in the transaction, the catalog’s reads and the exact run share the session', async () => {
    await session(async (client) => {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE scratch AS SELECT g AS x FROM generate_series(1, 20) g');
      // The DDL made the catalog stale: this message's prepare reads it in a savepoint, then the run counts in another.
      assert.equal((await client.query('UPDATE scratch SET x = -x WHERE x <= 10')).rowCount, 10);
      await assert.rejects(client.query('DELETE FROM scratch WHERE x > 0 OR x = -1'), denied(/11 rows/));
      await client.query('ROLLBACK');
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    });
  });
});
