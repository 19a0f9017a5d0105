/**
 * Estimated impact through EXPLAIN on a real session: figures for UPDATE/DELETE/MERGE/upserts and
 * writable CTEs, percentages of the table, escalation when the plan cannot be had (never 0), the
 * client's transaction untouched by a failing EXPLAIN, and cascades/triggers making a figure unknown.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readExplain } from '../../src/impact/explain.js';
import { sessionImpact } from '../../src/impact/impact-port.js';
import type { SessionRunner } from '../../src/impact/estimate.js';
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { createGuard } from '../../src/guard/index.js';
import { analyze, initParser } from '../../src/sql/index.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { simpleQueryResult, simpleQuery } from '../../src/upstream/simple-query.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from '../catalog/fixtures.js';

const SCHEMA = `
  CREATE TABLE items (id int PRIMARY KEY, grp int, note text);
  INSERT INTO items SELECT g, g % 10, 'n' FROM generate_series(1, 10000) g;
  CREATE TABLE archive (id int, grp int, note text);
  CREATE TABLE parents (id int PRIMARY KEY);
  CREATE TABLE children (id int, parent int REFERENCES parents(id) ON DELETE CASCADE);
  INSERT INTO parents SELECT generate_series(1, 100);
  CREATE TABLE audited (id int PRIMARY KEY, v int);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER audited_touch BEFORE UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION touch();
  ANALYZE;
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
let session: UpstreamConnection;
let runner: SessionRunner;

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_est', SCHEMA);
  ({ catalog, queries } = openCatalog(db, policyFrom('version: 1\n')));
  session = await db.connect();
  runner = { query: (sql) => simpleQueryResult(session, sql) };
});

after(async () => {
  if (!reachable) return;
  session.close();
  queries.close();
  await db.drop();
});

const statement = (sql: string) => analyze(sql).statements[0]!;

test('readExplain sums the rows feeding every ModifyTable, writable CTEs included', () => {
  const plan = JSON.stringify([
    {
      Plan: {
        'Node Type': 'ModifyTable', Operation: 'Insert', 'Relation Name': 'c', Schema: 'public', 'Plan Rows': 0,
        Plans: [
          { 'Node Type': 'ModifyTable', Operation: 'Delete', 'Parent Relationship': 'InitPlan', 'Relation Name': 'p', Schema: 'public', 'Plan Rows': 850, Plans: [{ 'Node Type': 'Seq Scan', 'Parent Relationship': 'Outer', 'Plan Rows': 850 }] },
          { 'Node Type': 'CTE Scan', 'Parent Relationship': 'Outer', 'Plan Rows': 850.4 },
        ],
      },
    },
  ]);
  assert.deepEqual(readExplain(plan), {
    writes: [
      { operation: 'insert', schema: 'public', relation: 'c', rows: 851 },
      { operation: 'delete', schema: 'public', relation: 'p', rows: 850 },
    ],
  });
  assert.ok('error' in readExplain('[{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 5}}]'));
  assert.ok('error' in readExplain('not json'));
});

test('estimates for UPDATE, DELETE, MERGE, upserts and writable CTEs, with the table size', { skip: !reachable }, async () => {
  const impact = sessionImpact({ catalog, runner, mode: 'estimate' });
  const idle = { transaction: 'idle' as const };
  const cases: [string, number, number][] = [
    ['DELETE FROM items WHERE id <= 100', 50, 200],
    ['UPDATE items SET note = $$x$$ WHERE grp = 3', 500, 2000],
    ['MERGE INTO items i USING (SELECT generate_series(1, 300) AS id) s ON i.id = s.id WHEN MATCHED THEN UPDATE SET note = $$m$$', 100, 1000],
    ['INSERT INTO items SELECT id + 100000, grp, note FROM items WHERE id <= 1000 ON CONFLICT (id) DO NOTHING', 500, 2000],
    ['WITH moved AS (DELETE FROM items WHERE id <= 100 RETURNING *) INSERT INTO archive SELECT * FROM moved', 100, 400],
  ];
  for (const [sql, low, high] of cases) {
    const figure = await impact.measure(statement(sql), idle);
    assert.equal(figure.mode, 'estimate', sql);
    assert.ok(typeof figure.rows === 'number' && figure.rows >= low && figure.rows <= high, `${sql}: ${JSON.stringify(figure)}`);
  }
  const single = await impact.measure(statement('DELETE FROM items WHERE id <= 100'), idle);
  assert.equal(single.tableRows, 10000);
  // Two target tables: no single table to take a percentage of.
  const two = await impact.measure(statement(cases[4]![0]), idle);
  assert.equal(two.tableRows, undefined);
  assert.deepEqual(await simpleQuery(session, 'SELECT count(*) FROM items'), [['10000']]);
});

test('a figure that cannot be had is unknown, never 0; a failing EXPLAIN leaves the transaction alone', { skip: !reachable }, async () => {
  const impact = sessionImpact({ catalog, runner, mode: 'estimate' });
  const broken = await impact.measure(statement('DELETE FROM items WHERE no_such_column = 1'), { transaction: 'idle' });
  assert.equal(broken.rows, 'unknown');
  assert.match(broken.error ?? '', /EXPLAIN failed/);
  assert.equal((await impact.measure(statement('DELETE FROM items WHERE id <= $1'), { transaction: 'idle' })).rows, 'unknown');
  assert.equal((await impact.measure(statement('UPDATE items SET note = $$x$$'), { transaction: 'failed' })).rows, 'unknown');

  await simpleQuery(session, 'BEGIN');
  try {
    const inside = await impact.measure(statement('UPDATE items SET nope = 1'), { transaction: 'in-transaction' });
    assert.equal(inside.rows, 'unknown');
    const result = await simpleQueryResult(session, 'SELECT 1');
    assert.equal(result.status, 'T');
    // The read-only savepoint is gone with the rollback: the transaction can still write.
    await simpleQuery(session, 'UPDATE items SET note = note WHERE id = 1');
  } finally {
    await simpleQuery(session, 'ROLLBACK');
  }
});

test('bound values plan a parameterised write', { skip: !reachable }, async () => {
  const impact = sessionImpact({ catalog, runner, mode: 'estimate', parameters: () => ['100'] });
  const figure = await impact.measure(statement('DELETE FROM items WHERE id <= $1'), { transaction: 'idle' });
  assert.ok(typeof figure.rows === 'number' && figure.rows >= 50 && figure.rows <= 200, JSON.stringify(figure));
  // The prepared statement it used is gone.
  assert.deepEqual(await simpleQuery(session, "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'parapet%'"), [['0']]);
});

test('cascading foreign keys and triggers make an estimate unknown', { skip: !reachable }, async () => {
  const impact = sessionImpact({ catalog, runner, mode: 'estimate' });
  const cascade = await impact.measure(statement('DELETE FROM parents WHERE id <= 3'), { transaction: 'idle' });
  assert.equal(cascade.rows, 'unknown');
  assert.match(cascade.error ?? '', /ON DELETE CASCADE/);
  const trigger = await impact.measure(statement('UPDATE audited SET v = 1 WHERE id = 1'), { transaction: 'idle' });
  assert.equal(trigger.rows, 'unknown');
  assert.match(trigger.error ?? '', /audited_touch/);
  // The FK does not cascade updates of other columns' rows... and an INSERT sets off nothing.
  assert.equal(typeof (await impact.measure(statement('INSERT INTO children SELECT g, 1 FROM generate_series(1, 5) g'), { transaction: 'idle' })).rows, 'number');
});

test('through the guard: thresholds in rows and in percent; unknown escalates per policy', { skip: !reachable }, async () => {
  const policy = policyFrom(`
version: 1
defaults: { agent: allow }
actors:
  bot: { kind: agent }
  careful: { kind: agent }
rules:
  - rule: max-affected-rows
    actors: [bot]
    params: { rows: 1000 }
  - rule: max-affected-rows
    actors: [careful]
    params: { rows: null, percent: 10, onUnknown: review }
`);
  const guard = createGuard({ policy, catalog: catalog.port({ searchPath: new SearchPathTracker('public', db.role).state }), impact: sessionImpact({ catalog, runner, mode: 'estimate' }) });
  const decide = async (actor: string, sql: string) => (await guard.evaluate({ sql, actor: policy.actors.get(actor)!, session: { transaction: 'idle' } })).decision;
  assert.equal((await decide('bot', 'DELETE FROM items WHERE id <= 100')).action, 'allow');
  const big = await decide('bot', 'DELETE FROM items WHERE id <= 5000');
  assert.equal(big.action, 'deny');
  assert.deepEqual(big.rules, ['max-affected-rows']);
  assert.equal((await decide('careful', 'DELETE FROM items WHERE id <= 500')).action, 'allow');
  assert.equal((await decide('careful', 'DELETE FROM items WHERE id <= 2000')).action, 'deny');
  assert.equal((await decide('careful', 'DELETE FROM items WHERE nope = 1')).action, 'review');
  assert.equal((await decide('bot', 'DELETE FROM parents WHERE id = 1')).action, 'deny');
  const allowed = await decide('bot', 'DELETE FROM items WHERE id <= 10');
  assert.equal(allowed.impact?.mode, 'estimate');
  assert.equal(typeof allowed.impact?.rows, 'number');
  assert.deepEqual(await simpleQuery(session, 'SELECT count(*) FROM items'), [['10000']]);
});

test('runner errors are reported, not thrown', { skip: !reachable }, async () => {
  const failing: SessionRunner = { query: async () => { throw new UpstreamError('closed', 'gone'); } };
  const figure = await sessionImpact({ catalog, runner: failing, mode: 'estimate' }).measure(statement('DELETE FROM items WHERE id = 1'), { transaction: 'idle' });
  assert.equal(figure.rows, 'unknown');
});
