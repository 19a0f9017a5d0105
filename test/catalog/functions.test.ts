/**
 * Function calls resolved by the live catalog: builtins shadowed through the search path, user
 * functions and their volatility, the policy's safe list, FunctionCall by OID — and, through the
 * guard, a read-only actor calling a volatile function that deletes.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import { enrichAnalysis, safeFunctionsFor } from '../../src/catalog/enrich.js';
import { functionCallSql } from '../../src/catalog/functions.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { createGuard } from '../../src/guard/index.js';
import { analyze, initParser } from '../../src/sql/index.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from './fixtures.js';

const SCHEMA = `
  CREATE SCHEMA app;
  CREATE TABLE public.orders (id int PRIMARY KEY, note varchar(20));
  INSERT INTO public.orders SELECT g, 'n' || g FROM generate_series(1, 10) g;
  -- Shadows the builtin lower(text) for varchar arguments (an exact type match wins).
  CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE sql VOLATILE AS 'DELETE FROM public.orders RETURNING ''x''';
  CREATE FUNCTION app.purge() RETURNS int LANGUAGE plpgsql VOLATILE AS $$ BEGIN DELETE FROM public.orders; RETURN 1; END $$;
  CREATE FUNCTION app.tally() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM public.orders';
`;

const POLICY = `
version: 1
defaults: { human: allow, agent: allow, pipeline: allow, service: allow }
actors:
  reader: { kind: agent }
rules:
  - rule: read-only
  - rule: no-side-effect-functions
    params: { allow: [app.tally] }
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
const policy = policyFrom(POLICY);

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_fn', SCHEMA);
  ({ catalog, queries } = openCatalog(db, policy));
});

after(async () => {
  if (!reachable) return;
  queries.close();
  await db.drop();
});

const onPath = (setting: string) => ({ searchPath: new SearchPathTracker(setting, 'nobody').state });

test('a builtin shadowed by a user function on the search path is reported and made unknown', { skip: !reachable }, async () => {
  const { analysis, findings } = await enrichAnalysis(catalog, analyze('SELECT lower(note) FROM orders'), onPath('public'));
  const call = analysis.statements[0]!.effects.find((e) => e.type === 'function')!;
  assert.equal(call.type === 'function' && call.class, 'unknown');
  assert.equal(analysis.statements[0]!.readOnly, 'unknown');
  assert.deepEqual(findings.map((f) => [f.kind, f.candidates.sort()]), [['shadows-builtin', ['pg_catalog.lower', 'public.lower']]]);
  // Qualified with pg_catalog, or with public off the path: no shadow.
  for (const [sql, path] of [
    ['SELECT pg_catalog.lower(note) FROM orders', 'public'],
    ['SELECT lower(note) FROM orders', 'app'],
  ] as const) {
    const result = await enrichAnalysis(catalog, analyze(sql), onPath(path));
    assert.deepEqual(result.findings, [], sql);
    assert.equal(result.analysis.statements[0]!.readOnly, true, sql);
  }
});

test('user functions get their volatility; only the policy\'s safe list relaxes read-only', { skip: !reachable }, async () => {
  const safe = safeFunctionsFor(policy, policy.actors.get('reader')!, policy.environment);
  assert.deepEqual([...safe], ['app.tally']);
  const purge = await enrichAnalysis(catalog, analyze('SELECT app.purge()'), onPath('public'), safe);
  assert.deepEqual(purge.findings.map((f) => [f.kind, f.volatility, f.safe]), [['user-function', 'volatile', false]]);
  assert.equal(purge.analysis.statements[0]!.readOnly, 'unknown');
  const tally = await enrichAnalysis(catalog, analyze('SELECT app.tally()'), onPath('public'), safe);
  assert.deepEqual(tally.findings.map((f) => [f.kind, f.volatility, f.safe]), [['user-function', 'stable', true]]);
  assert.equal(tally.analysis.statements[0]!.readOnly, true);
});

test('a read-only actor calling a volatile function that deletes is denied; the table is unchanged', { skip: !reachable }, async () => {
  const reader = policy.actors.get('reader')!;
  const tracker = new SearchPathTracker('"$user", public', db.role);
  const guard = createGuard({ policy, catalog: catalog.port({ searchPath: tracker.state }) });
  for (const sql of ['SELECT app.purge()', 'SELECT lower(note) FROM orders']) {
    const { analysis } = await enrichAnalysis(catalog, analyze(sql), { searchPath: tracker.state }, safeFunctionsFor(policy, reader, guard.environment));
    const { decision } = await guard.evaluate({ sql, analysis, actor: reader, session: { door: 'proxy' } });
    assert.equal(decision.action, 'deny', sql);
  }
  const { decision } = await guard.evaluate({ sql: 'SELECT app.tally()', analysis: (await enrichAnalysis(catalog, analyze('SELECT app.tally()'), { searchPath: tracker.state }, new Set(['app.tally']))).analysis, actor: reader, session: { door: 'proxy' } });
  assert.equal(decision.action, 'allow');
  assert.deepEqual(await db.run('SELECT count(*) FROM public.orders'), [['10']]);
});

test('a FunctionCall message is decided as the SQL call of the function its OID names', { skip: !reachable }, async () => {
  const snapshot = await catalog.snapshot();
  const purge = [...snapshot.functions.values()].find((f) => f.schema === 'app' && f.name === 'purge')!;
  const sql = functionCallSql(purge, 0);
  assert.equal(sql, 'SELECT "app"."purge"()');
  const effects = analyze(sql).statements[0]!.effects;
  assert.ok(effects.some((e) => e.type === 'function' && e.name === 'purge' && e.schema === 'app'));
});
