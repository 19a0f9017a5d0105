/** The search path, as PostgreSQL reads and applies it, and how a session's path is followed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSchemas, parseSearchPath, SearchPathTracker, TEMP_SCHEMA, creationSchema, type SearchPathState } from '../../src/catalog/search-path.js';
import { CatalogError } from '../../src/catalog/errors.js';
import { noteStatementRan } from '../../src/catalog/session-changes.js';
import { analyze, initParser } from '../../src/sql/index.js';

test('parseSearchPath splits and folds like SplitIdentifierString', () => {
  assert.deepEqual(parseSearchPath('"$user", public'), ['$user', 'public']);
  assert.deepEqual(parseSearchPath('App ,  "Mixed Case","a""b"'), ['app', 'Mixed Case', 'a"b']);
  assert.deepEqual(parseSearchPath(''), []);
  assert.deepEqual(parseSearchPath('x'.repeat(70)), ['x'.repeat(63)]);
  for (const bad of ['"open', 'a,,b', 'a b']) {
    assert.throws(() => parseSearchPath(bad), (e: unknown) => e instanceof CatalogError && e.code === 'bad-search-path', bad);
  }
});

test('effectiveSchemas: $user, missing schemas skipped, implicit pg_catalog and temp first', () => {
  const schemas = new Set(['public', 'app', 'alice', 'pg_catalog']);
  const access = { usable: (schema: string) => schemas.has(schema) };
  assert.deepEqual(effectiveSchemas(['$user', 'public'], 'alice', access), [TEMP_SCHEMA, 'pg_catalog', 'alice', 'public']);
  assert.deepEqual(effectiveSchemas(['$user', 'public'], 'bob', access), [TEMP_SCHEMA, 'pg_catalog', 'public']);
  assert.deepEqual(effectiveSchemas(['app', 'pg_catalog', 'public'], 'bob', access), [TEMP_SCHEMA, 'app', 'pg_catalog', 'public']);
  assert.deepEqual(effectiveSchemas(['public', 'pg_temp'], 'bob', access), ['pg_catalog', 'public', TEMP_SCHEMA]);
  assert.deepEqual(effectiveSchemas(['nope', 'public'], 'bob', access), [TEMP_SCHEMA, 'pg_catalog', 'public']);
  // A schema whose usability cannot be told is kept: a lookup must not skip it.
  assert.deepEqual(effectiveSchemas(['maybe', 'public'], 'bob', { usable: (s) => (s === 'maybe' ? 'maybe' : schemas.has(s)) }), [TEMP_SCHEMA, 'pg_catalog', 'maybe', 'public']);
  assert.equal(creationSchema(['$user', 'public'], 'bob', access), 'public');
  assert.equal(creationSchema(['$user', 'public'], 'alice', access), 'alice');
});

test('the tracker follows SETs that pass, and keeps every path that may be in force', async () => {
  await initParser();
  const tracker = new SearchPathTracker('"$user", public', 'alice');
  const ran = (sql: string, inTransactionBlock = false) => noteStatementRan(tracker, analyze(sql).statements[0]!, { inTransactionBlock });

  ran('SET search_path TO app, public');
  assert.deepEqual(tracker.state, { settings: [['app', 'public']], roles: ['alice'] });
  ran('RESET search_path');
  assert.deepEqual(tracker.state, { settings: [['$user', 'public']], roles: ['alice'] });
  // Inside a transaction block the SET may roll back: both paths stay candidates.
  ran('SET search_path = app', true);
  assert.deepEqual(tracker.state, { settings: [['$user', 'public'], ['app']], roles: ['alice'] });
  // A string literal is split by PostgreSQL itself: both readings are candidates.
  tracker.resync('public', 'alice');
  ran("SET search_path = 'App,public'");
  assert.deepEqual(tracker.state, { settings: [['App', 'public'], ['app', 'public']], roles: ['alice'] });
  ran('SET ROLE bob');
  const state = tracker.state as SearchPathState;
  assert.deepEqual(state === 'unknown' ? state : state.roles, ['alice', 'bob']);
  ran("SELECT set_config('search_path', current_setting('x'), false)");
  assert.equal(tracker.state as unknown, 'unknown');
  tracker.resync('public', 'alice');
  assert.deepEqual(ran('CREATE TABLE t (id int)'), { ddl: true });
  assert.deepEqual(ran('SELECT 1'), { ddl: false });
  ran("DO $$ BEGIN PERFORM set_config('search_path', 'x', false); END $$");
  assert.equal(tracker.state as unknown, 'unknown');
});
