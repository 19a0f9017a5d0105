/** Pure pieces of the session: startup-parameter judgement, options parsing, SQL-level prepared statements. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../src/sql/index.js';
import { findExecute, preparedChange, prepareBodyText } from '../../src/proxy/sql-prepared.js';
import { PreparedRegistry } from '../../src/proxy/prepared-registry.js';
import { formatOptions, judgeStartup, parseOptions } from '../../src/proxy/startup-parameters.js';

before(() => initParser());

test('startup: replication, unknown parameters, other encodings and pinned settings are refused', () => {
  const codes = (parameters: Record<string, string>) => {
    const judged = judgeStartup({ user: 'u', ...parameters });
    return judged.ok ? 'ok' : judged.error.code;
  };
  assert.equal(codes({ database: 'd', application_name: 'psql', client_encoding: 'UTF8', DateStyle: 'ISO' }), 'ok');
  assert.equal(codes({ client_encoding: 'SQL_ASCII' }), 'ok');
  assert.equal(codes({ replication: 'database' }), '42501');
  assert.equal(codes({ replication: 'off' }), 'ok');
  assert.equal(codes({ search_path: 'evil' }), '42501');
  assert.equal(codes({ client_encoding: 'LATIN1' }), '22023');
  assert.equal(codes({ options: '-c standard_conforming_strings=off' }), '42501');
  assert.equal(codes({ options: '-c client-encoding=LATIN1' }), '42501');
  assert.equal(judgeStartup({}).ok, false);
});

test('options are split and read as PostgreSQL does', () => {
  const parsed = parseOptions('-c a=1 -cb=2  --c-d=3 -c e=x\\ y');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.settings.map((s) => [s.name, s.value]), [['a', '1'], ['b', '2'], ['c_d', '3'], ['e', 'x y']]);
  assert.equal(parsed.settings[0]!.sql, `SET "a" TO '1'`);
  assert.equal(parseOptions('-B 10').ok, false);
  assert.equal(parseOptions('-c novalue').ok, false);
  assert.equal(formatOptions([{ name: 'e', value: 'x y' }]), '-c e=x\\ y');
});

test('PREPARE bodies, EXECUTE arguments and DEALLOCATE are read from the statement', () => {
  assert.equal(prepareBodyText('PREPARE p (int, numeric(10,2)) AS DELETE FROM t WHERE id = $1'), 'DELETE FROM t WHERE id = $1');
  assert.equal(prepareBodyText('prepare "my as" /* as */ as select 1'), 'select 1');
  assert.deepEqual(preparedChange('PREPARE q AS SELECT 1'), { op: 'prepare', name: 'q', body: 'SELECT 1' });
  assert.deepEqual(preparedChange('DEALLOCATE q'), { op: 'deallocate', name: 'q' });
  assert.deepEqual(preparedChange('DEALLOCATE ALL'), { op: 'deallocate-all' });
  assert.deepEqual(preparedChange('DISCARD ALL'), { op: 'deallocate-all' });
  assert.deepEqual(findExecute("EXECUTE p(1, 'a', NULL, now(), 'x'::text)"), { name: 'p', parameters: ['1', 'a', null, undefined, 'x'] });
  assert.equal(findExecute('EXPLAIN ANALYZE EXECUTE p')?.name, 'p');
  assert.equal(findExecute('CREATE TABLE t2 AS EXECUTE p(0)')?.parameters[0], '0');
});

test('the registry trusts only what the server confirmed', () => {
  const r = new PreparedRegistry();
  const first = r.parseSent('s', 'SELECT 1');
  r.parseConfirmed(first);
  const second = r.parseSent('s', 'DELETE FROM t');
  assert.equal(r.lookup('s'), 'DELETE FROM t');
  r.parseFailed(second);
  assert.equal(r.lookup('s'), 'SELECT 1');
  r.parseConfirmed(r.parseSent('', 'SELECT 2'));
  r.parseFailed(r.parseSent('', 'bad'));
  assert.equal(r.lookup(''), undefined);
  r.apply({ op: 'deallocate-all' });
  assert.equal(r.lookup('s'), undefined);
});
