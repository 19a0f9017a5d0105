/**
 * The live catalog against a real PostgreSQL, as a non-superuser role: names resolved through the
 * session's search path (shadowing, schemas without USAGE, temporary tables), tags from the policy
 * carried through views and materialized views, sizes, and refreshes (invalidate, TTL, unknown OID).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SearchPathTracker, TEMP_SCHEMA } from '../../src/catalog/search-path.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from './fixtures.js';

const SCHEMA = `
  CREATE SCHEMA app;
  CREATE TABLE public.customers (id int PRIMARY KEY, name text, email text UNIQUE, ssn text);
  CREATE TABLE app.customers (id int, note text);
  CREATE VIEW public.customer_contacts AS SELECT id, email AS contact, lower(name) AS lname FROM customers;
  CREATE VIEW public.contacts_again AS SELECT contact, id FROM customer_contacts;
  CREATE VIEW public.customer_rows AS SELECT row_to_json(c) AS doc FROM customers c;
  CREATE MATERIALIZED VIEW public.ssns AS SELECT id, ssn FROM customers;
  CREATE TABLE public.events (id int) PARTITION BY RANGE (id);
  CREATE TABLE public.events_1 PARTITION OF public.events FOR VALUES FROM (0) TO (1000);
  INSERT INTO public.customers SELECT g, 'n' || g, 'e' || g || '@x', 's' || g FROM generate_series(1, 50) g;
  ANALYZE public.customers;
`;

const POLICY = `
version: 1
resources:
  tags:
    public.customers.email: [pii]
    public.customers.ssn: [secret]
    app: [internal]
  protected: [public.customers]
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
const defaultPath = (role: string) => ({ searchPath: new SearchPathTracker('"$user", public', role).state });

before(async () => {
  if (!reachable) return;
  db = await createOwnedDatabase('parapet_cat', SCHEMA);
  // A schema the role may not use: PostgreSQL skips it on the search path.
  await db.admin('CREATE SCHEMA hidden; CREATE TABLE hidden.customers (id int)');
  ({ catalog, queries } = openCatalog(db, policyFrom(POLICY)));
});

after(async () => {
  if (!reachable) return;
  queries.close();
  await db.drop();
});

test('unqualified names resolve through the session search path', { skip: !reachable }, async () => {
  const customers = { name: 'customers', qualified: false };
  const viaDefault = await catalog.resolve([customers], defaultPath(db.role));
  assert.deepEqual(Object.keys(viaDefault), ['public.customers']);
  assert.deepEqual(viaDefault['public.customers']!.columnTags, { email: ['pii'], ssn: ['secret'] });
  assert.equal(viaDefault['public.customers']!.protected, true);
  assert.equal(viaDefault['public.customers']!.kind, 'table');
  assert.equal(viaDefault['public.customers']!.rows, 50);

  // app.customers shadows public.customers when app comes first.
  const shadowed = await catalog.resolve([customers], { searchPath: new SearchPathTracker('app, public', db.role).state });
  assert.deepEqual(Object.keys(shadowed), ['app.customers']);
  assert.deepEqual(shadowed['app.customers']!.tags, ['internal']);

  // No USAGE on `hidden`: skipped, exactly as PostgreSQL does.
  const hidden = await catalog.resolve([customers], { searchPath: new SearchPathTracker('hidden, public', db.role).state });
  assert.deepEqual(Object.keys(hidden), ['public.customers']);

  // A path that cannot be known: every candidate, so rules see them all.
  const unknown = await catalog.resolve([customers], { searchPath: 'unknown' });
  assert.deepEqual(Object.keys(unknown).sort(), ['app.customers', 'hidden.customers', 'public.customers']);

  // Several possible paths: the first match of each.
  const tracker = new SearchPathTracker('public', db.role);
  tracker.changed({ kind: 'set', value: 'app', revertible: true });
  assert.deepEqual(Object.keys(await catalog.resolve([customers], { searchPath: tracker.state })).sort(), ['app.customers', 'public.customers']);
});

test('qualified names, names that do not exist yet, and the policy facts they still carry', { skip: !reachable }, async () => {
  const facts = await catalog.resolve(
    [
      { schema: 'app', name: 'customers', qualified: true },
      { name: 'not_there', qualified: false },
      { schema: 'public', name: 'customers', qualified: true },
    ],
    defaultPath(db.role),
  );
  assert.deepEqual(Object.keys(facts).sort(), ['app.customers', 'public.customers', 'public.not_there']);
  assert.equal(facts['public.not_there']!.kind, 'unknown');
});

test('a temporary table of the same name is a candidate too', { skip: !reachable }, async () => {
  const session = await db.connect();
  try {
    const { simpleQuery } = await import('../../src/upstream/simple-query.js');
    await simpleQuery(session, 'CREATE TEMP TABLE customers (id int)');
    catalog.invalidate();
    const facts = await catalog.resolve([{ name: 'customers', qualified: false }], defaultPath(db.role));
    const keys = Object.keys(facts);
    assert.ok(keys.includes('public.customers'));
    assert.ok(keys.some((k) => k.startsWith('pg_temp_')), keys.join(', '));
    const explicit = await catalog.resolve([{ schema: TEMP_SCHEMA, name: 'customers', qualified: true }], defaultPath(db.role));
    assert.ok(Object.keys(explicit).every((k) => k.startsWith('pg_temp_')));
  } finally {
    session.close();
  }
});

test('views and materialized views carry the tags of the columns they show', { skip: !reachable }, async () => {
  const resolved = await catalog.resolve(
    ['customer_contacts', 'contacts_again', 'customer_rows', 'ssns'].map((name) => ({ name, qualified: false })),
    defaultPath(db.role),
  );
  const contacts = resolved['public.customer_contacts']!;
  assert.equal(contacts.kind, 'view');
  assert.deepEqual(contacts.columnTags.contact, ['pii']);
  assert.equal(contacts.columnTags.id, undefined);
  // An expression column may be fed by anything the view reads: it carries those tags.
  assert.deepEqual(contacts.columnTags.lname, ['pii']);
  assert.deepEqual(resolved['public.contacts_again']!.columnTags.contact, ['pii']);
  assert.deepEqual(resolved['public.customer_rows']!.columnTags.doc?.sort(), ['pii', 'secret']);
  assert.equal(resolved['public.ssns']!.kind, 'materialized-view');
  assert.deepEqual(resolved['public.ssns']!.columnTags, { ssn: ['secret'] });
});

test('column sources of a result field follow views down to the base column', { skip: !reachable }, async () => {
  const snapshot = await catalog.snapshot();
  const oid = (name: string) => snapshot.relationByName.get(`public.${name}`)!;
  const sources = await catalog.columnSources(oid('contacts_again'), 1);
  assert.deepEqual(
    sources.map((s) => `${s.schema}.${s.table}.${s.column}${s.derived ? ' (derived)' : ''}:${s.tags.join('+')}`),
    ['public.contacts_again.contact:', 'public.customer_contacts.contact:', 'public.customers.email:pii'],
  );
  const derived = await catalog.columnSources(oid('customer_contacts'), 3);
  assert.ok(derived.some((s) => s.column === 'email' && s.derived));
  assert.deepEqual(await catalog.columnSources(oid('customers'), 4).then((s) => s.map((x) => x.tags)), [['secret']]);
});

test('sizes: reltuples when analysed; unknown for never-analysed tables and partitioned parents', { skip: !reachable }, async () => {
  const snapshot = await catalog.snapshot();
  const entry = (name: string) => snapshot.relations.get(snapshot.relationByName.get(`public.${name}`)!)!;
  assert.equal(entry('customers').rows, 50);
  assert.equal(entry('events').kind, 'partitioned-table');
  assert.equal(entry('events').rows, undefined);
  assert.equal(entry('events_1').partition, true);
  assert.equal(entry('events_1').rows, undefined); // never analysed: reltuples = -1
});

test('refresh: an unknown OID reloads; DDL through Parapet invalidates; the TTL catches the rest', { skip: !reachable }, async () => {
  let now = Date.now();
  const { catalog: timed, queries: q } = openCatalog(db, policyFrom(POLICY), { ttlMs: 60_000, now: () => now });
  try {
    const first = await timed.snapshot();
    await db.run('CREATE TABLE public.late (id int)');
    const [[oid]] = (await db.run("SELECT 'public.late'::regclass::oid")) as [[string]];
    // Known after an automatic reload, because the OID was unknown.
    assert.equal((await timed.relation(Number(oid)))?.name, 'late');
    assert.notEqual(await timed.snapshot(), first);

    await db.run('CREATE TABLE public.later (id int)');
    const name = { name: 'later', qualified: false };
    assert.equal((await timed.resolve([name], defaultPath(db.role)))['public.later']!.kind, 'unknown');
    timed.invalidate();
    assert.equal((await timed.resolve([name], defaultPath(db.role)))['public.later']!.kind, 'table');

    await db.run('CREATE TABLE public.latest (id int)');
    const latest = { name: 'latest', qualified: false };
    assert.equal((await timed.resolve([latest], defaultPath(db.role)))['public.latest']!.kind, 'unknown');
    now += 61_000;
    assert.equal((await timed.resolve([latest], defaultPath(db.role)))['public.latest']!.kind, 'table');
  } finally {
    q.close();
  }
});
