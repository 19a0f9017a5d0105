/**
 * Exact affected-row counts on a real session, with the test acting as the door: the limit is exact
 * at the boundary (N kept, N+1 rolled back — the table unchanged, checked from an independent
 * connection), in an idle session and inside a transaction; a denial leaves the client's
 * transaction aborted and the server agrees; a genuine error is never "recovered"; RETURNING rows
 * are held; cascades and triggers are counted; unsafe statements are refused.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBackend } from '../../src/protocol/backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import type { PgErrorFields } from '../../src/protocol/pg-error.js';
import { runExact } from '../../src/impact/exact-run.js';
import { exactRefusal } from '../../src/impact/exact-plan.js';
import { hypotheticalCheck, sessionImpact } from '../../src/impact/impact-port.js';
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import type { LiveCatalog } from '../../src/catalog/live-catalog.js';
import type { CatalogQueries } from '../../src/catalog/connection.js';
import { createGuard } from '../../src/guard/index.js';
import { analyze, initParser } from '../../src/sql/index.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { simpleQuery, simpleQueryResult } from '../../src/upstream/simple-query.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { postgresReachable } from '../support/postgres.js';
import { createOwnedDatabase, openCatalog, policyFrom, type TestDatabase } from '../catalog/fixtures.js';

const SCHEMA = `
  CREATE TABLE items (id int PRIMARY KEY, note text UNIQUE);
  CREATE TABLE parents (id int PRIMARY KEY);
  CREATE TABLE children (id int, parent int REFERENCES parents(id) ON DELETE CASCADE);
  CREATE TABLE log (what text);
  CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES (TG_OP); RETURN OLD; END $$;
  CREATE TABLE watched (id int);
  CREATE TRIGGER watched_log AFTER DELETE ON watched FOR EACH ROW EXECUTE FUNCTION log_it();
`;
const FILL = `
  TRUNCATE items, parents, children, log, watched;
  INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 1000) g;
  INSERT INTO parents SELECT generate_series(1, 10);
  INSERT INTO children SELECT g, (g % 10) + 1 FROM generate_series(1, 30) g;
  INSERT INTO watched SELECT generate_series(1, 5);
  ANALYZE;
`;
const DENIED: PgErrorFields = { severity: 'ERROR', code: '42501', message: 'too many rows' };

const reachable = await postgresReachable();
let db: TestDatabase;
let catalog: LiveCatalog;
let queries: CatalogQueries;
let session: UpstreamConnection;

before(async () => {
  if (!reachable) return;
  await initParser();
  db = await createOwnedDatabase('parapet_exact', SCHEMA);
  ({ catalog, queries } = openCatalog(db, policyFrom('version: 1\n')));
  session = await db.connect();
});

after(async () => {
  if (!reachable) return;
  session.close();
  queries.close();
  await db.drop();
});

/** What the client receives: message types, the command tag, error code, final status. */
function received(frames: Buffer[]) {
  const out = { types: [] as string[], tag: undefined as string | undefined, error: undefined as string | undefined, status: undefined as string | undefined, rows: 0 };
  for (const bytes of frames) {
    const message = decodeBackend({ code: bytes[0]!, payload: bytes.subarray(5), raw: bytes });
    out.types.push(message.type);
    if (message.type === 'CommandComplete') out.tag = message.tag;
    if (message.type === 'ErrorResponse') out.error = message.fields.code;
    if (message.type === 'ReadyForQuery') out.status = message.status;
    if (message.type === 'DataRow') out.rows++;
  }
  return out;
}

/** The server's own view of the session: its status after a harmless query. */
async function serverStatus(): Promise<string> {
  try {
    return (await simpleQueryResult(session, 'SELECT 1')).status;
  } catch (error) {
    if (error instanceof UpstreamError && error.pgError?.code === '25P02') return 'E';
    throw error;
  }
}

const count = async (table: string) => Number((await db.run(`SELECT count(*) FROM ${table}`))[0]![0]);

test('exact at the boundary: N rows kept, N+1 rolled back and the table unchanged (idle session)', { skip: !reachable }, async () => {
  await db.run(FILL);
  const limit = 100;
  const kept = await runExact(session, { message: fe.query('DELETE FROM items WHERE id <= 100'), status: 'I', countAll: false, holdRows: limit });
  assert.equal(kept.rows, 100);
  assert.ok(kept.rows! <= limit);
  const keptFrames = received(await kept.keep());
  assert.deepEqual([keptFrames.tag, keptFrames.status], ['DELETE 100', 'I']);
  assert.equal(await count('items'), 900);

  const over = await runExact(session, { message: fe.query('DELETE FROM items WHERE id <= 201'), status: 'I', countAll: false, holdRows: limit });
  assert.equal(over.rows, 101);
  const overFrames = received(await over.discard(DENIED));
  assert.deepEqual([overFrames.error, overFrames.status, overFrames.tag], ['42501', 'I', undefined]);
  // Checked from an independent connection: nothing of the denied DELETE is visible.
  assert.equal(await count('items'), 900);
  assert.equal(await serverStatus(), 'I');
});

test('inside a transaction: kept via RELEASE; a denial leaves the transaction aborted and the server agrees', { skip: !reachable }, async () => {
  await db.run(FILL);
  await simpleQuery(session, 'BEGIN');
  const kept = await runExact(session, { message: fe.query('UPDATE items SET note = note || $$!$$ WHERE id <= 10'), status: 'T', countAll: false, holdRows: 10 });
  assert.equal(kept.rows, 10);
  assert.deepEqual(received(await kept.keep()).status, 'T');
  assert.equal(await serverStatus(), 'T');

  const over = await runExact(session, { message: fe.query('DELETE FROM items WHERE id <= 11'), status: 'T', countAll: false, holdRows: 10 });
  assert.equal(over.rows, 11);
  const frames = received(await over.discard(DENIED));
  assert.deepEqual([frames.error, frames.status], ['42501', 'E']);
  assert.equal(await serverStatus(), 'E');
  await simpleQuery(session, 'ROLLBACK');
  assert.equal(await count('items'), 1000);
  assert.equal(Number((await db.run("SELECT count(*) FROM items WHERE note LIKE '%!'"))[0]![0]), 0);
});

test('a genuine error inside the savepoint leaves the transaction aborted, never recovered', { skip: !reachable }, async () => {
  await db.run(FILL);
  await simpleQuery(session, 'BEGIN');
  await simpleQuery(session, 'DELETE FROM items WHERE id = 1');
  const failed = await runExact(session, { message: fe.query("UPDATE items SET note = 'n3' WHERE id = 2"), status: 'T', countAll: false, holdRows: 10 });
  assert.equal(failed.failed?.code, '23505');
  assert.equal(failed.rows, undefined);
  const frames = received(await failed.keep());
  assert.deepEqual([frames.error, frames.status], ['23505', 'E']);
  assert.equal(await serverStatus(), 'E');
  await simpleQuery(session, 'ROLLBACK');
  assert.equal(await count('items'), 1000);

  // Idle: the transaction Parapet opened is rolled back, as the implicit one would have been.
  const idle = await runExact(session, { message: fe.query("UPDATE items SET note = 'n3' WHERE id = 2"), status: 'I', countAll: false, holdRows: 10 });
  assert.deepEqual(received(await idle.discard(DENIED)).status, 'I');
  assert.equal(await serverStatus(), 'I');
});

test('RETURNING rows are held until the count is known', { skip: !reachable }, async () => {
  await db.run(FILL);
  const kept = await runExact(session, { message: fe.query('DELETE FROM items WHERE id <= 3 RETURNING id'), status: 'I', countAll: false, holdRows: 5 });
  assert.deepEqual(received(await kept.keep()).types, ['RowDescription', 'DataRow', 'DataRow', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
  const denied = await runExact(session, { message: fe.query('DELETE FROM items WHERE id <= 9 RETURNING id'), status: 'I', countAll: false, holdRows: 5 });
  assert.equal(denied.overflowed, true);
  const frames = received(await denied.discard(DENIED));
  assert.equal(frames.rows, 0);
  assert.equal(await count('items'), 997);
});

test('cascaded foreign-key actions and trigger writes are counted', { skip: !reachable }, async () => {
  await db.run(FILL);
  const cascade = await runExact(session, { message: fe.query('DELETE FROM parents WHERE id <= 3'), status: 'I', countAll: true, holdRows: 100 });
  // 3 parents and the 9 children their cascade deletes.
  assert.equal(cascade.rows, 12);
  await cascade.discard(DENIED);
  const trigger = await runExact(session, { message: fe.query('DELETE FROM watched WHERE id <= 2'), status: 'I', countAll: true, holdRows: 100 });
  assert.equal(trigger.rows, 4); // 2 deleted + 2 log rows inserted by the trigger
  await trigger.discard(DENIED);
  assert.deepEqual([await count('children'), await count('log'), await count('watched')], [30, 0, 5]);
});

test('exact mode is refused where a rollback cannot undo the run or a savepoint cannot isolate it', { skip: !reachable }, () => {
  const one = { protocol: 'simple' as const, statements: 1 };
  const idle = { transaction: 'idle' as const };
  const s = (sql: string) => analyze(sql).statements[0]!;
  assert.equal(exactRefusal(s('DELETE FROM items WHERE id = 1'), idle, one), undefined);
  assert.match(exactRefusal(s('DELETE FROM items WHERE id = 1'), idle, { protocol: 'simple', statements: 2 })!, /several/);
  assert.match(exactRefusal(s('DELETE FROM items WHERE id = 1'), idle, { protocol: 'extended', statements: 1 })!, /simple query/);
  assert.match(exactRefusal(s("UPDATE items SET id = nextval('s') WHERE id = 1"), idle, one)!, /nextval/);
  assert.match(exactRefusal(s('UPDATE items SET note = my_func(note) WHERE id = 1'), idle, one)!, /my_func/);
  assert.match(exactRefusal(s('DELETE FROM items WHERE id = 1'), { transaction: 'failed' }, one)!, /aborted/);
  assert.match(exactRefusal(s('DELETE FROM items WHERE id = 1'), idle, one, ['public.remote'])!, /foreign table/);
});

test('through the guard: exact figures decide, the door keeps or discards the pending run', { skip: !reachable }, async () => {
  await db.run(FILL);
  const policy = policyFrom(`
version: 1
defaults: { agent: allow }
actors:
  bot: { kind: agent }
rules:
  - rule: require-where
  - rule: max-affected-rows
    params: { rows: 50, mode: exact }
`);
  const actor = policy.actors.get('bot')!;
  let current: Buffer | undefined;
  const catalogPort = catalog.port({ searchPath: new SearchPathTracker('public', db.role).state });
  const impact = sessionImpact({
    catalog,
    runner: { query: (sql) => simpleQueryResult(session, sql) },
    mode: 'exact',
    holdRows: 50,
    exact: {
      message: () => (current ? { protocol: 'simple', statements: 1, bytes: current } : undefined),
      lend: (work) => work(session),
      precheck: hypotheticalCheck({ policy, catalog: catalogPort }, actor),
    },
  });
  const guard = createGuard({ policy, catalog: catalogPort, impact });
  /** The door: decide, then keep or discard what measure left pending. */
  const run = async (sql: string) => {
    current = fe.query(sql);
    const { decision } = await guard.evaluate({ sql, actor, session: { transaction: 'idle' } });
    const pending = impact.takePending();
    const frames = pending ? received(decision.action === 'allow' ? await pending.keep() : await pending.discard(DENIED)) : undefined;
    return { decision, frames, ran: pending !== undefined };
  };

  const fifty = await run('DELETE FROM items WHERE id <= 50');
  assert.equal(fifty.decision.action, 'allow');
  assert.deepEqual(fifty.decision.impact, { rows: 50, mode: 'exact', tableRows: 1000 });
  assert.equal(fifty.frames?.tag, 'DELETE 50');
  const fiftyOne = await run('DELETE FROM items WHERE id <= 101');
  assert.equal(fiftyOne.decision.action, 'deny');
  assert.match(fiftyOne.decision.message, /51 rows/);
  assert.equal(fiftyOne.frames?.error, '42501');
  assert.equal(await count('items'), 950);
  // Blocked whatever its size (no WHERE): never run, not even in a savepoint.
  const everything = await run('DELETE FROM items');
  assert.equal(everything.decision.action, 'deny');
  assert.equal(everything.ran, false);
  assert.equal(await count('items'), 950);
});
