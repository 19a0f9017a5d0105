/**
 * Hostile input: nothing escapes `analyze` as an exception. Deep nesting, a WASM trap, a 10 MB
 * statement, text that cannot be UTF-8 — each comes back as an analysis or an error value.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyze, analyzeUncached, initParser, type Analysis } from '../../src/sql/index.js';
import { parserHealth } from '../../src/sql/parser.js';
import { analyzeStatement } from '../../src/sql/analyze.js';
import { classifiedNodeTypes } from '../../src/sql/index.js';

function both(text: string): Analysis[] {
  return [analyzeUncached(text), analyze(text)];
}

function errorCode(a: Analysis): string | undefined {
  return a.error?.code ?? a.statements.find((s) => s.error)?.error?.code;
}

/** Waits until the parser and all its spares are loaded again (spares load in the background). */
async function parserHealthy(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const health = parserHealth();
    if (health.ready && health.spares === 2) return;
    await sleep(25);
  }
  assert.fail('parser did not recover');
}

describe('input hardening', () => {
  before(() => initParser());

  test('10,000-deep nesting is an error value (statement too complex)', () => {
    const text = `SELECT ${'('.repeat(10_000)}1${')'.repeat(10_000)}`;
    for (const a of both(text)) {
      assert.equal(errorCode(a), '54001');
      assert.equal(a.statements.length, 1);
      assert.equal(a.statements[0]!.readOnly, 'unknown');
    }
  });

  test('deep subqueries and function calls never throw', () => {
    const texts = [
      `SELECT ${'(SELECT '.repeat(5_000)}1${')'.repeat(5_000)}`,
      `SELECT ${'f('.repeat(50_000)}1${')'.repeat(50_000)}`,
      `SELECT ${'ARRAY['.repeat(10_000)}1${']'.repeat(10_000)}`,
      `SELECT ${'NOT '.repeat(20_000)}true`,
    ];
    for (const text of texts) {
      for (const a of both(text)) {
        const code = errorCode(a);
        if (code !== undefined) assert.ok(['54001', '42601'].includes(code), `unexpected ${code}`);
      }
    }
  });

  test('a trap inside the WASM module is an error value and the parser recovers', async () => {
    await parserHealthy();
    // A long left-deep operator chain overflows the parser's stack while it serialises the tree.
    const trap = `SELECT ${'1+'.repeat(30_000)}1`;
    const before = parserHealth().restarts;
    assert.equal(errorCode(analyzeUncached(trap)), '54001');
    assert.ok(parserHealth().restarts > before, 'the trapped instance was replaced');
    // A spare took over at once.
    const after = analyzeUncached('SELECT a FROM t');
    assert.equal(after.error, undefined);
    assert.equal(after.statements[0]!.kind, 'select');
  });

  test('a burst of traps fails closed, then the parser recovers', async () => {
    await parserHealthy();
    const trap = `SELECT ${'x||'.repeat(30_000)}x`;
    for (let i = 0; i < 4; i++) {
      const a = analyzeUncached(trap);
      assert.ok(a.error, 'an error value, never an exception');
      assert.equal(a.statements[0]!.readOnly, 'unknown');
    }
    await parserHealthy();
    assert.equal(analyzeUncached('DELETE FROM t').statements[0]!.readOnly, false);
    assert.equal(analyze('DELETE FROM t').statements[0]!.readOnly, false);
  });

  test('a 10 MB statement is analysed', () => {
    const literal = 'x'.repeat(10 * 1024 * 1024);
    for (const a of both(`SELECT '${literal}' AS big FROM t`)) {
      assert.equal(a.error, undefined);
      assert.equal(a.statements[0]!.kind, 'select');
      assert.equal(a.statements[0]!.readOnly, true);
    }
    const comment = `/* ${'y'.repeat(10 * 1024 * 1024)} */ DELETE FROM t`;
    assert.equal(analyze(comment).statements[0]!.kind, 'delete');
  });

  test('lone surrogates are an encoding error with a position', () => {
    for (const a of both("SELECT 'a\uD800b'")) {
      assert.equal(errorCode(a), '22021');
      assert.equal(a.error?.position, 10);
    }
    for (const a of both('SELECT 1; SELECT \uDC00')) assert.equal(errorCode(a), '22021');
  });

  test('NUL characters are an encoding error, not a truncated statement', () => {
    for (const a of both('SELECT 1\u0000; DROP TABLE users')) {
      assert.equal(errorCode(a), '22021');
      assert.equal(a.error?.position, 9);
      assert.equal(a.statements.length, 1);
      assert.equal(a.statements[0]!.readOnly, 'unknown');
    }
  });

  test('garbage of every kind comes back as values', () => {
    const inputs = ['', '   ', ';', '$$', "'", '"', '/*', '--', 'SELECT', '\uFFFD\uFFFD', '\u{10FFFF}', 'SELECT $999999999999'];
    for (const text of inputs) for (const a of both(text)) assert.ok(Array.isArray(a.statements));
  });

  test('an unknown node type does not crash: kind from its name, read-only unknown, recorded', () => {
    const node = {
      FancyFutureStmt: {
        relation: { relname: 't' },
        options: [{ FuncCall: { funcname: [{ String: { sval: 'pg_reload_conf' } }] } }],
        extra: { ShinyNewExpr: { arg: { ColumnRef: { fields: [{ String: { sval: 'a' } }] } } } },
      },
    };
    const { statement } = analyzeStatement(node, 'FANCY FUTURE t', { start: 0, end: 14 }, 0, {});
    assert.equal(statement.kind, 'fancy-future');
    assert.equal(statement.node, 'FancyFutureStmt');
    assert.deepEqual(statement.unclassified, ['FancyFutureStmt', 'ShinyNewExpr']);
    // What it could see inside still counts: the dangerous call makes it false, not merely unknown.
    assert.equal(statement.readOnly, false);
    const quiet = analyzeStatement({ QuietFutureStmt: {} }, 'QUIET', { start: 0, end: 5 }, 0, {}).statement;
    assert.equal(quiet.readOnly, 'unknown');
    assert.ok(!classifiedNodeTypes().has('FancyFutureStmt'));
    assert.ok(classifiedNodeTypes().has('SelectStmt') && classifiedNodeTypes().has('FuncCall') && classifiedNodeTypes().has('ResTarget'));
  });
});
