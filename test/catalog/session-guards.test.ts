/**
 * The per-session wiring a door uses: one guard with the live catalog and the session's impact
 * port, enriched analyses, masking side doors, FunctionCall by OID, and the bookkeeping after
 * statements (search path, catalog reload after DDL).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionGuards, type SessionGuards } from '../../src/catalog/session-guards.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { analyze, initParser } from '../../src/sql/index.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { simpleQueryResult } from '../../src/upstream/simple-query.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from './fixtures.js';

const SCHEMA = `
  CREATE SCHEMA app;
  CREATE TABLE customers (id int PRIMARY KEY, name varchar(40), email text);
  INSERT INTO customers SELECT g, 'n' || g, 'e' || g FROM generate_series(1, 5000) g;
  CREATE FUNCTION app.purge() RETURNS int LANGUAGE plpgsql VOLATILE AS $$ BEGIN DELETE FROM customers; RETURN 1; END $$;
  CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE sql AS 'SELECT ''x''';
  ANALYZE;
`;
const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  agent: { kind: agent }
resources:
  tags:
    public.customers.email: [pii]
rules:
  - rule: mask-columns
  - rule: no-side-effect-functions
  - rule: max-affected-rows
    params: { rows: 100 }
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
let session: UpstreamConnection;
let guards: SessionGuards;

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_sg', SCHEMA);
  const policy = policyFrom(POLICY);
  ({ catalog, queries } = openCatalog(db, policy));
  session = await db.connect();
  guards = createSessionGuards({
    policy,
    actor: policy.actors.get('agent')!,
    catalog,
    searchPath: '"$user", public',
    role: db.role,
    maskKey: Buffer.from('k'),
    session: { runner: { query: (sql) => simpleQueryResult(session, sql) } },
  });
});

after(async () => {
  if (!reachable) return;
  session.close();
  queries.close();
  await db.drop();
});

const decide = async (sql: string) => (await guards.evaluate({ sql, actor: guards.guard.actor('agent')!, session: { door: 'proxy', transaction: 'idle' } })).decision;

test('one evaluate: masking side doors, shadowed builtins, estimated impact', { skip: !reachable }, async () => {
  const masked = await decide('SELECT id, email FROM customers');
  assert.equal(masked.action, 'allow');
  assert.ok(masked.obligations.mask?.length);
  assert.deepEqual((await decide('SELECT upper(email) FROM customers')).rules, ['mask-columns']);
  // lower(varchar) reaches public.lower: a function of unknown effects for no-side-effect-functions.
  assert.deepEqual((await decide('SELECT lower(name) FROM customers')).rules, ['no-side-effect-functions']);
  assert.equal((await decide('SELECT pg_catalog.lower(name) FROM customers')).action, 'allow');
  const big = await decide('DELETE FROM customers WHERE id <= 4000');
  assert.deepEqual([big.action, big.rules], ['deny', ['max-affected-rows']]);
  assert.equal((await decide('DELETE FROM customers WHERE id <= 10')).action, 'allow');
});

test('FunctionCall by OID is decided as the call; unknown OIDs are not found', { skip: !reachable }, async () => {
  const fn = [...(await catalog.snapshot()).functions.values()].find((f) => f.name === 'purge')!;
  const result = await guards.functionCall(fn.oid, 0, []);
  assert.equal(result?.decision.action, 'deny');
  assert.equal(await guards.functionCall(1, 0, []), undefined);
});

test('after statements: the search path follows SETs, DDL reloads the catalog', { skip: !reachable }, async () => {
  guards.statementRan(analyze('SET search_path TO app, public').statements[0]!, false);
  assert.deepEqual(guards.tracker.state, { settings: [['app', 'public']], roles: [db.role] });
  await db.run('CREATE TABLE app.customers (id int, email text)');
  guards.statementRan(analyze('CREATE TABLE app.customers (id int, email text)').statements[0]!, false);
  // Unqualified `customers` now means app.customers, which carries no tags: no masking needed.
  const decision = await decide('SELECT email FROM customers');
  assert.equal(decision.obligations.mask, undefined);
});
