/**
 * max-affected-rows in exact mode through the proxy, with the real `pg` driver: the write runs in a
 * savepoint (or a transaction Parapet opens) on the client's own session, and is kept within the
 * limit or rolled back past it — checked from an independent connection. Cascades and triggers
 * count; what a rollback cannot undo (sequences) escalates; a multi-statement message and the
 * extended protocol escalate; the audit record carries the figure and its mode.
 */
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { postgresReachable } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  counter: { kind: agent }
  share: { kind: agent }
  careful: { kind: agent }
rules:
  - rule: max-affected-rows
    actors: [counter]
    params: { rows: 100, mode: exact }
  - rule: max-affected-rows
    actors: [share]
    params: { rows: null, percent: 10, mode: exact }
  - rule: max-affected-rows
    actors: [careful]
    params: { rows: 100, mode: exact, onUnknown: review }
`;

const reachable = await postgresReachable();

const pick = (r: unknown) => (r && typeof r === 'object' && 'action' in r && 'impact' in r ? { action: r.action, impact: r.impact } : r);

const denied = (pattern: RegExp) => (e: pg.DatabaseError) => e.code === '42501' && /max-affected-rows/.test(e.detail ?? '') && pattern.test(e.message);

describe('exact affected-row counts through the proxy', { skip: !reachable && 'PostgreSQL is unreachable' }, () => {
  let upstream: TestUpstream;
  let proxy: ProxyHarness;
  let admin: pg.Client;
  const clients: pg.Client[] = [];

  before(async () => {
    upstream = await createUpstream('parapet_exact');
    const owner = new pg.Client(upstream.url);
    await owner.connect();
    await owner.query(`
      CREATE TABLE items (id int PRIMARY KEY, note text);
      INSERT INTO items SELECT g, 'n' FROM generate_series(1, 1000) g;
      CREATE TABLE parents (id int PRIMARY KEY);
      INSERT INTO parents SELECT generate_series(1, 10);
      CREATE TABLE children (id int PRIMARY KEY, parent int REFERENCES parents ON DELETE CASCADE);
      INSERT INTO children SELECT g, 1 + (g - 1) / 20 FROM generate_series(1, 200) g;
      CREATE TABLE watched (id int PRIMARY KEY, v int);
      INSERT INTO watched SELECT g, 0 FROM generate_series(1, 100) g;
      CREATE TABLE watch_log (id int, at text);
      CREATE FUNCTION log_watch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO watch_log VALUES (NEW.id, 'u'); RETURN NEW; END $$;
      CREATE TRIGGER watch AFTER UPDATE ON watched FOR EACH ROW EXECUTE FUNCTION log_watch();
      CREATE SEQUENCE tickets;
      ANALYZE;
    `);
    await owner.end();
    admin = new pg.Client(upstream.adminUrl);
    await admin.connect();
    proxy = await startProxy({ upstreamUrl: upstream.url, policyYaml: POLICY, secrets: { counter: 'counter-pw', share: 'share-pw', careful: 'careful-pw' } });
  });

  after(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await admin?.end().catch(() => {});
    await proxy?.stop();
    await upstream?.drop();
  });

  async function connect(actor: 'counter' | 'share' | 'careful'): Promise<pg.Client> {
    const client = new pg.Client(proxy.url(actor, `${actor}-pw`));
    await client.connect();
    clients.push(client);
    return client;
  }

  /** Rows of `items` whose note is `note`, seen from an independent connection. */
  async function notes(note: string): Promise<number> {
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE note = $1', [note]);
    return rows[0]!.n;
  }

  test('at the limit the write runs; one row over it is rolled back and the table is unchanged', async () => {
    const client = await connect('counter');
    const within = await client.query("UPDATE items SET note = 'a' WHERE id <= 100");
    assert.equal(within.rowCount, 100);
    assert.equal(await notes('a'), 100);
    await assert.rejects(client.query("UPDATE items SET note = 'b' WHERE id <= 101"), denied(/101 rows, more than the limit of 100/));
    assert.equal(await notes('b'), 0);
    assert.equal(await notes('a'), 100);
    // The session goes on: nothing of the rolled-back run is left open.
    assert.equal((await client.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 1000);
  });

  test('percentage thresholds compare the exact count with the table size', async () => {
    const client = await connect('share');
    assert.equal((await client.query("UPDATE items SET note = 'p' WHERE id BETWEEN 201 AND 300")).rowCount, 100);
    await assert.rejects(client.query("UPDATE items SET note = 'q' WHERE id BETWEEN 301 AND 401"), denied(/101 of 1000 rows \(10\.1%\)/));
    assert.equal(await notes('q'), 0);
    assert.equal(await notes('p'), 100);
  });

  test('in a transaction: a savepoint keeps an allowed write usable; a denied one leaves the transaction aborted', async () => {
    const client = await connect('counter');
    await client.query('BEGIN');
    assert.equal((await client.query("UPDATE items SET note = 't' WHERE id BETWEEN 401 AND 450")).rowCount, 50);
    assert.equal((await client.query("SELECT count(*)::int AS n FROM items WHERE note = 't'")).rows[0].n, 50);
    assert.equal(await notes('t'), 0, 'not committed yet');
    await client.query('COMMIT');
    assert.equal(await notes('t'), 50);

    await client.query('BEGIN');
    await client.query("UPDATE items SET note = 'u' WHERE id BETWEEN 451 AND 460");
    await assert.rejects(client.query("UPDATE items SET note = 'v' WHERE id BETWEEN 461 AND 600"), denied(/140 rows/));
    await assert.rejects(client.query('SELECT 1'), (e: pg.DatabaseError) => e.code === '25P02');
    await client.query('ROLLBACK');
    assert.equal(await notes('u'), 0);
    assert.equal(await notes('v'), 0);
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('a genuine error inside the savepoint reaches the client and leaves the transaction aborted', async () => {
    const client = await connect('counter');
    await client.query('BEGIN');
    await client.query("UPDATE items SET note = 'g' WHERE id = 601");
    await assert.rejects(client.query('UPDATE items SET id = 602 WHERE id = 603'), (e: pg.DatabaseError) => e.code === '23505');
    await assert.rejects(client.query('SELECT 1'), (e: pg.DatabaseError) => e.code === '25P02');
    await client.query('ROLLBACK');
    assert.equal(await notes('g'), 0);
    // Outside a transaction the implicit one is rolled back, as the server would.
    await assert.rejects(client.query('UPDATE items SET id = 602 WHERE id = 603'), (e: pg.DatabaseError) => e.code === '23505');
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('RETURNING rows are held until the count is known, then sent', async () => {
    const client = await connect('counter');
    const result = await client.query("UPDATE items SET note = 'r' WHERE id BETWEEN 701 AND 705 RETURNING id");
    assert.deepEqual(result.rows.map((r) => r.id).sort((a, b) => a - b), [701, 702, 703, 704, 705]);
    assert.equal(result.rowCount, 5);
    await assert.rejects(client.query("UPDATE items SET note = 's' WHERE id > 800 RETURNING id"), denied(/200 rows/));
    assert.equal(await notes('s'), 0);
  });

  test('cascaded foreign-key actions and trigger writes are counted', async () => {
    const client = await connect('counter');
    // 5 parents and their 100 children: 105 rows.
    await assert.rejects(client.query('DELETE FROM parents WHERE id <= 5'), denied(/105 rows/));
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM children')).rows[0].n, 200);
    // 3 parents and 60 children: 63 rows.
    assert.equal((await client.query('DELETE FROM parents WHERE id <= 3')).rowCount, 3);
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM children')).rows[0].n, 140);
    // Inside the client's transaction the savepoint's own changes are counted, not the transaction's.
    await client.query('BEGIN');
    assert.equal((await client.query('DELETE FROM parents WHERE id = 4')).rowCount, 1);
    await assert.rejects(client.query('DELETE FROM parents WHERE id BETWEEN 5 AND 9'), denied(/105 rows/));
    await client.query('ROLLBACK');
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM children')).rows[0].n, 140);
    // Each updated row writes a log row: 60 updates are 120 rows.
    await assert.rejects(client.query('UPDATE watched SET v = 1 WHERE id <= 60'), denied(/120 rows/));
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM watch_log')).rows[0].n, 0);
    assert.equal((await client.query('UPDATE watched SET v = 1 WHERE id <= 40')).rowCount, 40);
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM watch_log')).rows[0].n, 40);
  });

  test('what a rollback cannot undo is never run: the figure is unknown and the rule escalates', async () => {
    const client = await connect('counter');
    await assert.rejects(client.query("UPDATE items SET note = nextval('tickets')::text WHERE id = 900"), denied(/nextval/));
    assert.equal((await admin.query('SELECT is_called FROM tickets')).rows[0].is_called, false);
    await assert.rejects(client.query("UPDATE items SET note = pg_advisory_lock(1)::text WHERE id = 900"), denied(/pg_advisory_lock/));
    for (const call of ["pg_notify('c', 'x')", "pg_read_file('/etc/hostname')", "lo_import('/etc/hostname')", 'log_watch()']) {
      await assert.rejects(client.query(`UPDATE items SET note = ${call}::text WHERE id = 900`), denied(/cannot be sized/), call);
    }
    assert.equal(await notes(''), 0);
    // With `onUnknown: review` the statement waits for a person (refused until approvals exist), never runs as 0 rows.
    const careful = await connect('careful');
    await assert.rejects(careful.query("UPDATE items SET note = nextval('tickets')::text WHERE id = 900"), (e: pg.DatabaseError) => e.code === '42501' && /held for review/.test(e.detail ?? ''));
    assert.equal((await admin.query('SELECT is_called FROM tickets')).rows[0].is_called, false);
  });

  test('a multi-statement query and the extended protocol are refused as a whole', async () => {
    const client = await connect('counter');
    await assert.rejects(client.query("UPDATE items SET note = 'm' WHERE id = 901; SELECT 1"), denied(/several/));
    assert.equal(await notes('m'), 0);
    await assert.rejects(client.query('UPDATE items SET note = $1 WHERE id = 902', ['x']), denied(/simple query/));
    assert.equal(await notes('x'), 0);
    // Reads are not sized, so they pass in both protocols.
    assert.equal((await client.query('SELECT note FROM items WHERE id = $1', [1])).rows[0].note, 'a');
  });

  test('the audit record carries the exact figure and its mode', async () => {
    const client = await connect('counter');
    await client.query("UPDATE items SET note = 'w' WHERE id BETWEEN 951 AND 977");
    await assert.rejects(client.query("UPDATE items SET note = 'w' WHERE id > 500"));
    const records = await proxy.auditRecords({ actor: 'counter', kind: 'decision' });
    const figure = (rows: number) => records.find((r) => r.kind === 'decision' && r.impact?.rows === rows);
    assert.deepEqual(pick(figure(27)), { action: 'allow', impact: { rows: 27, mode: 'exact', tableRows: 1000 } });
    assert.deepEqual(pick(figure(500)), { action: 'deny', impact: { rows: 500, mode: 'exact', tableRows: 1000 } });
    // The kept run's outcome is booked like any forwarded statement's.
    const seq = figure(27)!.seq;
    const outcome = async () => (await proxy.auditRecords({ kind: 'outcome' })).find((r) => r.kind === 'outcome' && r.decision === seq);
    await waitFor(async () => (await outcome()) !== undefined);
    const booked = await outcome();
    assert.equal(booked?.kind === 'outcome' ? booked.commandTag : undefined, 'UPDATE 27');
  });
});
