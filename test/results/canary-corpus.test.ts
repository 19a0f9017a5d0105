/**
 * The canary leak corpus: tagged columns filled with unique canary values, read by a masked actor
 * (a non-superuser upstream role) every way the issue lists — joins, aliases, views, CTEs, UNION,
 * expressions, aggregates, row/JSON/XML builders, failed casts, unique violations, notices, COPY,
 * cursors, temporary tables, statistics, functions — in both protocols. Each statement is either
 * refused before it runs or answered through the result guards; no byte the client receives may
 * contain a canary (data, errors, notices, CopyData).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { createGuard } from '../../src/guard/index.js';
import { initParser } from '../../src/sql/index.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { SessionResults } from '../../src/results/session-results.js';
import { maskingFor, type MaskingPolicy } from '../../src/results/masking-policy.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from '../catalog/fixtures.js';
import { TestDoor, errorOf, rowsOf, type Received } from './door.js';

const CANARY = `CANARY${randomBytes(4).toString('hex')}`;
const canary = (what: string, id: number) => `${CANARY}_${what}_${id}`;

const SCHEMA = `
  CREATE TABLE customers (id int PRIMARY KEY, name text, email text UNIQUE, ssn text, birth text);
  INSERT INTO customers SELECT g, 'name' || g, '${CANARY}_email_' || g, '${CANARY}_ssn_' || g, '${CANARY}_birth_' || g FROM generate_series(1, 20) g;
  CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), total int);
  INSERT INTO orders SELECT g, (g % 20) + 1, g * 10 FROM generate_series(1, 40) g;
  CREATE VIEW customer_contacts AS SELECT id, email AS contact FROM customers;
  CREATE VIEW contacts_again AS SELECT contact AS c2, id FROM customer_contacts;
  CREATE MATERIALIZED VIEW ssns AS SELECT id, ssn FROM customers;
  CREATE FUNCTION get_email(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT email FROM customers WHERE id = $1';
  CREATE FUNCTION get_customers() RETURNS SETOF customers LANGUAGE sql STABLE AS 'SELECT * FROM customers';
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
    public.customers.ssn: [secret]
rules:
  - rule: mask-columns
    params: { tags: [pii, secret], columns: [public.customers.birth], style: redact }
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
let session: UpstreamConnection;
let door: TestDoor;
let masking: MaskingPolicy;

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_canary', SCHEMA);
  const policy = policyFrom(POLICY);
  ({ catalog, queries } = openCatalog(db, policy));
  session = await db.connect();
  const actor = policy.actors.get('agent')!;
  const resolution = { searchPath: new SearchPathTracker('"$user", public', db.role).state };
  masking = maskingFor(policy, actor, policy.environment)!;
  const guard = createGuard({ policy, catalog: catalog.port(resolution) });
  const results = new SessionResults({ catalog, resolution: () => resolution, masking, maskKey: Buffer.from('k') });
  door = new TestDoor(session, guard, actor, results, { catalog, resolution, masking });
});

after(async () => {
  if (!reachable) return;
  session.close();
  queries.close();
  await db.drop();
});

function assertNoCanary(received: Received, sql: string): void {
  const text = received.bytes.toString('latin1');
  assert.ok(!text.includes(CANARY), `canary leaked by \`${sql}\`: ${JSON.stringify(received.messages).slice(0, 400)}`);
}

/** Statements answered with masked data (they must run, and show no canary). */
const MASKED = [
  'SELECT * FROM customers',
  'SELECT email FROM customers',
  'SELECT c.email AS contact, o.id FROM customers c JOIN orders o ON o.customer_id = c.id',
  'SELECT contact FROM customer_contacts',
  'SELECT * FROM contacts_again',
  'SELECT * FROM ssns',
  'WITH x AS (SELECT email, ssn FROM customers) SELECT * FROM x',
  'SELECT email FROM (SELECT email FROM customers) s',
  'SELECT DISTINCT email FROM customers',
  'SELECT email FROM customers GROUP BY email',
  'SELECT c.* FROM customers c',
  'TABLE customers',
  'SELECT * FROM customers NATURAL JOIN orders',
  'SELECT * FROM customers c, LATERAL (SELECT c.email AS e) x',
  'SELECT id, email, now() FROM customers ORDER BY email',
  'SELECT birth FROM customers',
  'SELECT count(*) FROM customers WHERE email LIKE $$CANARY%$$',
  'DELETE FROM orders WHERE id = 40 RETURNING *',
];

/** Statements that must be refused before they run (their data could not be masked). */
const REFUSED = [
  'SELECT email FROM customers UNION SELECT name FROM customers',
  'SELECT lower(email) FROM customers',
  "SELECT email || '' FROM customers",
  'SELECT max(ssn) FROM customers',
  'SELECT string_agg(email, $$,$$) FROM customers',
  'SELECT json_agg(email) FROM customers',
  'SELECT row_to_json(c) FROM customers c',
  'SELECT to_jsonb(c) FROM customers c',
  'SELECT c FROM customers c',
  'SELECT (c).email FROM customers c',
  'SELECT ROW(email) FROM customers',
  'SELECT ARRAY[ssn] FROM customers',
  'SELECT xmlelement(name e, email) FROM customers',
  "SELECT json_build_object('e', email) FROM customers",
  'SELECT coalesce(email, $$$$) FROM customers',
  'SELECT CASE WHEN id > 0 THEN email END FROM customers',
  'SELECT first_value(email) OVER () FROM customers',
  'SELECT (SELECT email FROM customers LIMIT 1)',
  'VALUES ((SELECT email FROM customers LIMIT 1))',
  'SELECT get_email(1)',
  'SELECT * FROM get_customers()',
  'SELECT email::text FROM customers',
  'SELECT * FROM pg_stats WHERE tablename = $$customers$$',
  'SELECT * FROM pg_catalog.pg_statistic',
  'COPY (SELECT email FROM customers) TO STDOUT',
  'COPY customers TO STDOUT (FORMAT binary)',
  'CREATE TEMP TABLE stash AS SELECT email FROM customers',
  'SELECT email INTO TEMP stash2 FROM customers',
  'CREATE TABLE stash3 AS SELECT ssn FROM customers',
];

test('masked reads: they run, and no canary reaches the client', { skip: !reachable }, async () => {
  for (const sql of MASKED) {
    const received = await door.simple(sql);
    assert.equal(received.refused, undefined, `${sql} was refused: ${received.refused}`);
    assert.equal(errorOf(received), undefined, `${sql} failed: ${JSON.stringify(received.messages.find((m) => m.type === 'ErrorResponse'))}`);
    assertNoCanary(received, sql);
  }
  const rows = rowsOf(await door.simple('SELECT id, email, name FROM customers WHERE id = 1'));
  assert.deepEqual(rows, [['1', '****', 'name1']]);
});

test('reads that cannot be masked are refused before they run', { skip: !reachable }, async () => {
  for (const sql of REFUSED) {
    const received = await door.simple(sql);
    assert.notEqual(received.refused, undefined, `${sql} was not refused`);
    assertNoCanary(received, sql);
  }
  assert.deepEqual(await db.run("SELECT count(*) FROM pg_class WHERE relname LIKE 'stash%'"), [['0']]);
});

test('values echoed in errors and notices are withheld', { skip: !reachable }, async () => {
  const cases: [string, string][] = [
    ['SELECT id FROM customers WHERE email::int = 1', '22P02'],
    ['SELECT id FROM customers WHERE ssn::date IS NULL', '22007'],
    [`INSERT INTO customers (id, email) VALUES (1000, '${canary('email', 3)}')`, '23505'],
    ['UPDATE customers SET email = (SELECT email FROM customers WHERE id = 2) WHERE id = 1', '23505'],
  ];
  for (const [sql, code] of cases) {
    const received = await door.simple(sql);
    assert.equal(received.refused, undefined, `${sql}: ${received.refused}`);
    assert.equal(errorOf(received), code, sql);
    assertNoCanary(received, sql);
  }
  const notice = await door.simple("DO $$ BEGIN RAISE NOTICE 'value %', (SELECT email FROM customers WHERE id = 1); END $$");
  assert.ok(notice.messages.some((m) => m.type === 'NoticeResponse'));
  assertNoCanary(notice, 'RAISE NOTICE');
  const raised = await door.simple("DO $$ BEGIN RAISE EXCEPTION 'value %', (SELECT ssn FROM customers WHERE id = 1); END $$");
  assert.equal(errorOf(raised), 'P0001');
  assertNoCanary(raised, 'RAISE EXCEPTION');
});

test('COPY TO STDOUT in text and CSV is masked row by row', { skip: !reachable }, async () => {
  for (const sql of ['COPY customers TO STDOUT', 'COPY customers (id, email) TO STDOUT WITH (FORMAT csv, HEADER)', "COPY customers TO STDOUT WITH (FORMAT csv, DELIMITER '|', QUOTE '''')"]) {
    const received = await door.simple(sql);
    assert.equal(received.refused, undefined, sql);
    const data = received.messages.filter((m) => m.type === 'CopyData');
    assert.ok(data.length >= 20, sql);
    assertNoCanary(received, sql);
  }
});

test('cursors: every FETCH is masked', { skip: !reachable }, async () => {
  await door.simple('BEGIN');
  for (const sql of ['DECLARE cur CURSOR FOR SELECT id, email, ssn FROM customers', 'FETCH 2 FROM cur', 'FETCH ALL FROM cur', 'CLOSE cur']) {
    const received = await door.simple(sql);
    assert.equal(received.refused, undefined, sql);
    assertNoCanary(received, sql);
  }
  await door.simple('COMMIT');
});

test('extended protocol: described portals, statements described before Bind, binary formats, no Describe at all', { skip: !reachable }, async () => {
  const sql = 'SELECT id, email, ssn FROM customers WHERE id <= $1';
  const variants = [
    [{ parse: sql }, { bind: '', params: ['5'] }, { describe: 'P' as const }, { execute: '' }, { sync: true as const }],
    [{ parse: sql, name: 's1' }, { describe: 'S' as const, name: 's1' }, { bind: 'p1', statement: 's1', params: ['5'], resultFormats: [1] }, { execute: 'p1' }, { sync: true as const }],
    [{ parse: sql, name: 's2' }, { describe: 'S' as const, name: 's2' }, { bind: '', statement: 's2', params: ['5'] }, { execute: '', maxRows: 2 }, { execute: '', maxRows: 2 }, { sync: true as const }],
    [{ parse: sql }, { bind: '', params: ['5'] }, { execute: '' }, { sync: true as const }],
  ];
  for (const steps of variants) {
    const received = await door.extended(steps);
    assert.equal(received.refused, undefined);
    assert.equal(errorOf(received), undefined, JSON.stringify(received.messages));
    assert.ok(rowsOf(received).length > 0);
    assertNoCanary(received, JSON.stringify(steps));
  }
  const refused = await door.extended([{ parse: 'SELECT lower(email) FROM customers WHERE id = $1' }, { bind: '', params: ['1'] }, { execute: '' }, { sync: true }]);
  assert.notEqual(refused.refused, undefined);
});

test('the corpus can see a leak: the same reads without masking show canaries', { skip: !reachable }, async () => {
  const policy = policyFrom(POLICY.slice(0, POLICY.indexOf('rules:')));
  const resolution = { searchPath: new SearchPathTracker('"$user", public', db.role).state };
  const guard = createGuard({ policy, catalog: catalog.port(resolution) });
  const bare = new TestDoor(session, guard, policy.actors.get('agent')!, new SessionResults({ catalog, resolution: () => resolution, maskKey: Buffer.from('k') }), { catalog, resolution });
  for (const sql of ['SELECT * FROM customers c, LATERAL (SELECT c.email AS e) x', 'SELECT * FROM contacts_again', 'COPY customers TO STDOUT']) {
    const r = await bare.simple(sql);
    assert.ok(r.bytes.toString('latin1').includes(CANARY), `${sql}: ${r.messages.map((m) => m.type === 'DataRow' ? m.values.map(String).join('/') : m.type).join(' ').slice(0, 600)}`);
  }
  const lateral = rowsOf(await door.simple('SELECT c.id, x.e FROM customers c, LATERAL (SELECT c.email AS e) x WHERE c.id = 1'));
  assert.deepEqual(lateral, [['1', '****']]);
});

test('a view created after the catalog was loaded: its unknown OID reloads the catalog before rows go out', { skip: !reachable }, async () => {
  await catalog.snapshot();
  await db.run('CREATE VIEW late_contacts AS SELECT id, email AS mail FROM customers');
  // Neither the guard's name lookup nor the OID in RowDescription is known to the loaded snapshot.
  const received = await door.simple('SELECT * FROM late_contacts WHERE id = 2');
  assert.deepEqual(rowsOf(received), [['2', '****']]);
  assertNoCanary(received, 'late view');
});

test('the hard guarantee: an upstream role with column privileges cannot read the masked columns at all', { skip: !reachable }, async () => {
  const role = `${db.role}_cols`;
  await db.admin(`CREATE ROLE "${role}" LOGIN; GRANT USAGE ON SCHEMA public TO "${role}"; GRANT SELECT (id, name) ON public.customers TO "${role}"`);
  try {
    const { connectUpstream } = await import('../../src/upstream/connect.js');
    const { simpleQuery } = await import('../../src/upstream/simple-query.js');
    const { PG_HOST, PG_PORT } = await import('../support/postgres.js');
    const conn = await connectUpstream({ host: PG_HOST, port: PG_PORT, user: role, database: db.database });
    try {
      assert.deepEqual(await simpleQuery(conn, 'SELECT id, name FROM customers WHERE id = 1'), [['1', 'name1']]);
      await assert.rejects(simpleQuery(conn, 'SELECT email FROM customers'), (e: unknown) => (e as { pgError?: { code: string } }).pgError?.code === '42501');
      await assert.rejects(simpleQuery(conn, 'SELECT * FROM customers'), (e: unknown) => (e as { pgError?: { code: string } }).pgError?.code === '42501');
    } finally {
      conn.close();
    }
  } finally {
    await db.admin(`REVOKE ALL ON public.customers FROM "${role}"; REVOKE USAGE ON SCHEMA public FROM "${role}"`);
    await db.admin(`DROP ROLE "${role}"`);
  }
});
