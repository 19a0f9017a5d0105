/**
 * Property: the cached analysis of a statement deep-equals a fresh one, whatever its literals,
 * whitespace and comments. Statements of one shape share a cache entry only when the analysis does
 * not depend on literal values; the templates below include many whose analysis does (tautologies,
 * SET values, file names, LIMIT, set_config, DO bodies), so a missed literal dependency fails here.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisCache, analyzeUncached, initParser } from '../../src/sql/index.js';

/** A small seeded PRNG (mulberry32): the same run every time. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMPLATES = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = {i}',
  'UPDATE pgbench_accounts SET abalance = abalance + {i} WHERE aid = {i}',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({i}, {i}, {i}, {i}, CURRENT_TIMESTAMP)',
  'DELETE FROM t WHERE {i} = {i}',
  'DELETE FROM t WHERE a = {i} OR {i} < {i}',
  'DELETE FROM t WHERE {s} = {s}',
  'DELETE FROM t WHERE name LIKE {s}',
  'DELETE FROM t WHERE {i} IN ({i}, {i})',
  'UPDATE t SET a = 1 WHERE ({i} = {i}) IS TRUE',
  'UPDATE t SET a = 1 WHERE {s}::boolean',
  'UPDATE t SET a = 1 WHERE NOT {s}::bool AND {i} + {i} = {i}',
  'SET search_path = {s}',
  'SET statement_timeout = {i}',
  'SELECT set_config({s}, {s}, false)',
  'SELECT * FROM t ORDER BY a LIMIT {i}',
  'SELECT * FROM t LIMIT {i} OFFSET {i}',
  'COPY t TO {s}',
  'SELECT pg_read_file({s})',
  'SELECT lo_export({i}, {s})',
  'SELECT dblink({s}, {s})',
  'SELECT query_to_xml({q}, true, false, {s})',
  'UPDATE pg_settings SET setting = {s} WHERE name = {s}',
  'SELECT {f} * 2 FROM t WHERE b = {s}',
  'SELECT 1 FROM t WHERE {i} IS NOT NULL',
  'SELECT * FROM t WHERE a = {i}::text AND b = {f}',
  'DO $$ BEGIN EXECUTE {q}; END $$',
  'PREPARE p AS SELECT * FROM t WHERE a = {i} LIMIT {i}',
  'EXPLAIN (ANALYZE {b}) DELETE FROM t WHERE a = {i}',
  'BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE',
  'ALTER ROLE app SET search_path = {s}',
  'SELECT * FROM t WHERE a = {i}; SELECT {i}',
  'SELECT * FROM t WHERE EXISTS (SELECT {i} LIMIT {i})',
];

const STRINGS = ["'abc'", "'a''b'", "'é✓'", "'%'", "'%%'", "'x%'", "'1'", "'t'", "'true'", "'off'", "'search_path'", "'role'",
  "'session_replication_role'", "''", "'/tmp/x'", "'host=evil'", "$$dollar$$", "'2'"];
const QUERIES = ["'SELECT 1'", "'DELETE FROM users'", "'DROP TABLE x'", "'SELECT * FROM t'", "'not sql at all'"];
const BOOLS = ['true', 'false', 'on', 'off', '0', '1'];

function text(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = () => pick(['0', '1', '2', '3', '42', String(Math.floor(rnd() * 1e6)), '2147483648']);
  let sql = pick(TEMPLATES).replace(/\{([isfqb])\}/g, (_, k: string) => {
    switch (k) {
      case 'i':
        return int();
      case 's':
        return pick(STRINGS);
      case 'f':
        return pick(['1.5', '0.0', '1e3', '.5']);
      case 'q':
        return pick(QUERIES);
      default:
        return pick(BOOLS);
    }
  });
  if (rnd() < 0.3) sql += ';';
  if (rnd() < 0.3) sql = `${pick(['', ' ', '\n\t'])}${sql}${pick(['', '  ', '\n'])}`;
  if (rnd() < 0.25) sql += ` /*reason='${pick(['a', 'b%20c', "it\\'s"])}',run='${int()}'*/`;
  if (rnd() < 0.15) sql = `/*model='m${int()}'*/ ${sql}`;
  if (rnd() < 0.1) sql += ' -- trailing note';
  return sql;
}

describe('cache property', () => {
  before(() => initParser());

  test('cached analysis deep-equals a fresh one when only literals change', () => {
    const cache = new AnalysisCache();
    const rnd = random(20240601);
    for (let i = 0; i < 3000; i++) {
      const sql = text(rnd);
      const cached = cache.analyze(sql);
      const fresh = analyzeUncached(sql);
      assert.deepStrictEqual(cached, fresh, sql);
      assert.equal(JSON.stringify(cached), JSON.stringify(fresh), sql);
    }
    const stats = cache.stats();
    assert.ok(stats.shapeHits > 100, `the shape level was exercised (${JSON.stringify(stats)})`);
  });

  test('a cached analysis is frozen: no caller can change it for the next', () => {
    const cache = new AnalysisCache();
    const a = cache.analyze('DELETE FROM t WHERE id = 7');
    assert.throws(() => (a.statements[0]!.effects as unknown[]).push({}));
    assert.throws(() => {
      (a.statements[0] as { readOnly: unknown }).readOnly = true;
    });
  });

  test('the cache is bounded', () => {
    const cache = new AnalysisCache({ maxEntries: 50 });
    for (let i = 0; i < 500; i++) cache.analyze(`SELECT ${i} FROM t${i} WHERE a = ${i}`);
    const stats = cache.stats();
    assert.ok(stats.exactEntries <= 50 && stats.shapeEntries <= 50, JSON.stringify(stats));
    // Still right after evictions.
    assert.deepStrictEqual(cache.analyze('SELECT 1 FROM t1 WHERE a = 1'), analyzeUncached('SELECT 1 FROM t1 WHERE a = 1'));
  });
});
