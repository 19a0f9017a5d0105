/**
 * The live guards through the proxy with a real driver: result caps in both protocols and through
 * cursors (truncate with Parapet's notice, or an error that aborts an open transaction on the
 * server too), the error-mode cap kept last in its query, and a view created through the proxy
 * masked at once (the catalog reloads after DDL), and max-affected-rows from the planner's estimate.
 */
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { postgresReachable } from '../support/postgres.js';

const CAP = 10;
const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  cut: { kind: agent }
  strict: { kind: agent }
  writer: { kind: human }
resources:
  tags:
    public.people.email: [pii]
rules:
  - rule: mask-columns
    kinds: [agent]
    params: { tags: [pii] }
  - rule: max-result-rows
    actors: [cut]
    params: { rows: ${CAP}, onExceed: truncate }
  - rule: max-result-rows
    actors: [strict]
    params: { rows: ${CAP}, onExceed: error }
  - rule: max-affected-rows
    actors: [writer]
    params: { rows: 5 }
`;

const reachable = await postgresReachable();

describe('live guards through the proxy', { skip: !reachable && 'PostgreSQL is unreachable' }, () => {
  let upstream: TestUpstream;
  let proxy: ProxyHarness;
  const clients: pg.Client[] = [];

  before(async () => {
    upstream = await createUpstream('parapet_live');
    const owner = new pg.Client(upstream.url);
    await owner.connect();
    await owner.query(`
      CREATE TABLE people (id int PRIMARY KEY, email text);
      INSERT INTO people SELECT g, 'p' || g || '@example.com' FROM generate_series(1, 30) g;
      CREATE TABLE items (id int PRIMARY KEY);
      INSERT INTO items SELECT generate_series(1, 100);
      ANALYZE items;
    `);
    await owner.end();
    proxy = await startProxy({ upstreamUrl: upstream.url, policyYaml: POLICY, secrets: { cut: 'cut-pw', strict: 'strict-pw', writer: 'writer-pw' } });
  });

  after(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await proxy?.stop();
    await upstream?.drop();
  });

  async function connect(actor: 'cut' | 'strict' | 'writer'): Promise<{ client: pg.Client; notices: { detail?: string | undefined }[] }> {
    const client = new pg.Client(proxy.url(actor, `${actor}-pw`));
    const notices: { detail?: string | undefined }[] = [];
    client.on('notice', (n) => notices.push(n));
    await client.connect();
    clients.push(client);
    return { client, notices };
  }

  test('truncate: both protocols stop at the cap, say so, and count the rows sent', async () => {
    const { client, notices } = await connect('cut');
    const simple = await client.query('SELECT id FROM people ORDER BY id');
    assert.equal(simple.rows.length, CAP);
    assert.equal(simple.rowCount, CAP);
    const extended = await client.query('SELECT id FROM people WHERE id > $1 ORDER BY id', [0]);
    assert.equal(extended.rows.length, CAP);
    assert.equal(notices.length, 2);
    for (const n of notices) assert.equal(n.detail, 'parapet rules: max-result-rows');
  });

  test('truncate: a cursor cannot be fetched past the cap', async () => {
    const { client } = await connect('cut');
    await client.query('BEGIN');
    await client.query('DECLARE c CURSOR FOR SELECT id FROM people ORDER BY id');
    let total = 0;
    for (let i = 0; i < 5; i++) total += (await client.query('FETCH 6 FROM c')).rows.length;
    await client.query('COMMIT');
    assert.equal(total, CAP);
  });

  test('error: the statement fails, and an open transaction is aborted on the server too', async () => {
    const { client } = await connect('strict');
    await assert.rejects(client.query('SELECT id FROM people'), (e: pg.DatabaseError) => e.code === '54000' && e.detail === 'parapet rules: max-result-rows');
    assert.equal((await client.query('SELECT count(*) AS n FROM people')).rows[0].n, '30');
    await client.query('BEGIN');
    await assert.rejects(client.query('SELECT id FROM people'), (e: pg.DatabaseError) => e.code === '54000');
    await assert.rejects(client.query('SELECT 1'), (e: pg.DatabaseError) => e.code === '25P02');
    await client.query('ROLLBACK');
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('error: a capped statement must be the last of its query', async () => {
    const { client } = await connect('strict');
    await assert.rejects(client.query('SELECT id FROM people; SELECT 1'), (e: pg.DatabaseError) => e.code === '42501' && /proxy\.result-cap-not-last/.test(e.detail ?? ''));
    const [, last] = (await client.query("SET application_name = 'capped'; SELECT id FROM people LIMIT 3")) as unknown as pg.QueryResult[];
    assert.equal(last!.rows.length, 3);
  });

  test('a view created through the proxy is masked at once', async () => {
    const { client } = await connect('cut');
    await client.query('CREATE VIEW contacts AS SELECT id, email AS contact FROM people');
    const { rows } = await client.query('SELECT id, contact FROM contacts ORDER BY id LIMIT 3');
    assert.equal(rows.length, 3);
    for (const row of rows) assert.ok(!String(row.contact).includes('@example.com'), String(row.contact));
    const masked = await client.query('SELECT email FROM people WHERE id = 1');
    assert.ok(!String(masked.rows[0].email).includes('@example.com'));
  });

  test('max-affected-rows: the planner estimate, taken on the session, blocks a large write and lets a small one run', async () => {
    const { client } = await connect('writer');
    await assert.rejects(client.query('DELETE FROM items WHERE id > 50'), (e: pg.DatabaseError) => e.code === '42501' && /max-affected-rows/.test(e.detail ?? ''));
    assert.equal((await client.query('DELETE FROM items WHERE id > 98')).rowCount, 2);
    await client.query('BEGIN');
    await assert.rejects(client.query('UPDATE items SET id = id + 1000 WHERE id < 60'), (e: pg.DatabaseError) => /max-affected-rows/.test(e.detail ?? ''));
    await client.query('ROLLBACK');
    assert.equal((await client.query('SELECT count(*) AS n FROM items')).rows[0].n, '98');
  });
});
