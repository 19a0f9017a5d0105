/**
 * Result caps and the bulk-read limit against a real session: both protocols, Execute row limits
 * and cursors cannot slice past a cap, COPY counts, truncation rewrites the tag, an erroring cap
 * leaves client and server agreeing on the transaction state.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { createGuard } from '../../src/guard/index.js';
import { initParser } from '../../src/sql/index.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { SessionResults } from '../../src/results/session-results.js';
import type { BulkReadLimit } from '../../src/results/row-plan.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from '../catalog/fixtures.js';
import { TestDoor, errorOf, rowsOf, type Received } from './door.js';

const SCHEMA = `
  CREATE TABLE items (id int PRIMARY KEY, email text);
  INSERT INTO items SELECT g, 'u' || g || '@x' FROM generate_series(1, 50) g;
`;
const policyWith = (onExceed: 'truncate' | 'error') => `
version: 1
defaults: { agent: allow }
actors:
  agent: { kind: agent }
resources:
  tags:
    public.items.email: [pii]
rules:
  - rule: max-result-rows
    params: { rows: 10, onExceed: ${onExceed} }
`;

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
const sessions: UpstreamConnection[] = [];

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_caps', SCHEMA);
  ({ catalog, queries } = openCatalog(db, policyFrom(policyWith('truncate'))));
});

after(async () => {
  if (!reachable) return;
  for (const s of sessions) s.close();
  queries.close();
  await db.drop();
});

async function openDoor(policyYaml: string, bulk?: BulkReadLimit): Promise<TestDoor> {
  const policy = policyFrom(policyYaml);
  const session = await db.connect();
  sessions.push(session);
  const resolution = { searchPath: new SearchPathTracker('"$user", public', db.role).state };
  const results = new SessionResults({ catalog, resolution: () => resolution, maskKey: Buffer.from('k'), ...(bulk ? { bulk } : {}) });
  return new TestDoor(session, createGuard({ policy, catalog: catalog.port(resolution) }), policy.actors.get('agent')!, results, { catalog, resolution });
}

const tags = (r: Received) => r.messages.flatMap((m) => (m.type === 'CommandComplete' ? [m.tag] : []));
const types = (r: Received) => r.messages.map((m) => m.type);
const status = (r: Received) => r.messages.at(-1)?.type === 'ReadyForQuery' ? (r.messages.at(-1) as { status: string }).status : undefined;

test('truncate: simple query, COPY and a LIMIT within the cap', { skip: !reachable }, async () => {
  const door = await openDoor(policyWith('truncate'));
  const all = await door.simple('SELECT * FROM items');
  assert.equal(rowsOf(all).length, 10);
  assert.deepEqual(tags(all), ['SELECT 10']);
  assert.ok(types(all).includes('NoticeResponse'));
  const copy = await door.simple('COPY items TO STDOUT');
  assert.equal(copy.messages.filter((m) => m.type === 'CopyData').length, 10);
  assert.deepEqual(tags(copy), ['COPY 10']);
  const limited = await door.simple('SELECT * FROM items LIMIT 5');
  assert.deepEqual([rowsOf(limited).length, types(limited).includes('NoticeResponse')], [5, false]);
  // Two statements in one message: each has its own cap.
  const two = await door.simple('SELECT * FROM items WHERE id <= 12; SELECT * FROM items WHERE id > 45');
  assert.deepEqual(tags(two), ['SELECT 10', 'SELECT 5']);
});

test('truncate: Execute row limits and cursors cannot slice past the cap', { skip: !reachable }, async () => {
  const door = await openDoor(policyWith('truncate'));
  const sliced = await door.extended([
    { parse: 'SELECT * FROM items' },
    { bind: '' },
    { describe: 'P' },
    { execute: '', maxRows: 4 },
    { execute: '', maxRows: 4 },
    { execute: '', maxRows: 4 },
    { execute: '', maxRows: 4 },
    { sync: true },
  ]);
  assert.equal(rowsOf(sliced).length, 10);
  assert.deepEqual(types(sliced).filter((t) => t === 'PortalSuspended' || t === 'CommandComplete'), ['PortalSuspended', 'PortalSuspended', 'CommandComplete', 'CommandComplete']);

  await door.simple('BEGIN');
  await door.simple('DECLARE cur CURSOR FOR SELECT * FROM items');
  const first = await door.simple('FETCH 6 FROM cur');
  const second = await door.simple('FETCH 6 FROM cur');
  const rest = await door.simple('FETCH ALL FROM cur');
  assert.deepEqual([rowsOf(first).length, rowsOf(second).length, rowsOf(rest).length], [6, 4, 0]);
  assert.deepEqual(tags(second), ['FETCH 4']);
  await door.simple('COMMIT');
});

test('error: the statement fails past the cap, and client and server agree on the transaction', { skip: !reachable }, async () => {
  const door = await openDoor(policyWith('error'));
  const idle = await door.simple('SELECT * FROM items');
  assert.deepEqual([errorOf(idle), status(idle)], ['54000', 'I']);
  assert.equal(rowsOf(idle).length, 10);

  await door.simple('BEGIN');
  const inside = await door.simple('SELECT * FROM items');
  assert.deepEqual([errorOf(inside), status(inside)], ['54000', 'E']);
  // The server agrees: the transaction is aborted.
  assert.equal(errorOf(await door.simple('SELECT 1')), '25P02');
  assert.equal(status(await door.simple('ROLLBACK')), 'I');

  // Extended: the Execute fails, the rest of the segment is skipped as after any error.
  const extended = await door.extended([{ parse: 'SELECT * FROM items' }, { bind: '' }, { describe: 'P' }, { execute: '' }, { sync: true }]);
  assert.deepEqual([errorOf(extended), status(extended)], ['54000', 'I']);
});

test('bulk reads of tagged data: an error past the limit, counted across the statements of a message', { skip: !reachable }, async () => {
  const door = await openDoor(policyWith('truncate').replace(/rules:[\s\S]*/, ''), { tags: ['pii'], rows: 5, onExceed: 'error' });
  assert.equal(errorOf(await door.simple('SELECT id FROM items')), undefined);
  assert.equal(errorOf(await door.simple('SELECT id, email FROM items WHERE id <= 5')), undefined);
  assert.equal(errorOf(await door.simple('SELECT id, email FROM items WHERE id <= 6')), '42501');
  const message = await door.simple('SELECT email FROM items WHERE id <= 3; SELECT email FROM items WHERE id > 47');
  assert.equal(errorOf(message), '42501');
  assert.equal(rowsOf(message).length, 5);
});

test('bulk reads of tagged data: masked past the limit', { skip: !reachable }, async () => {
  const door = await openDoor(policyWith('truncate').replace(/rules:[\s\S]*/, ''), { tags: ['pii'], rows: 3, onExceed: 'mask' });
  const rows = rowsOf(await door.simple('SELECT id, email FROM items WHERE id <= 5 ORDER BY id'));
  assert.deepEqual(rows.map((r) => r[1]), ['u1@x', 'u2@x', 'u3@x', '****', '****']);
});
