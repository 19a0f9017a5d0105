/**
 * Runs every YAML case of test/sql/cases against `analyzeUncached` and the cached `analyze`.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, analyzeUncached, initParser, type Analysis, type Effect, type StatementAnalysis } from '../../src/sql/index.js';
import { loadAnalyzerCases, type StatementExpectation } from './cases/load.js';

/** Whether `actual` has every field of `expected` (recursively; arrays: each expected item matches some actual item). */
function matches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((e) => actual.some((a) => matches(a, e)));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}

function check(s: StatementAnalysis, e: StatementExpectation): void {
  const show = () => JSON.stringify(s, null, 1);
  if (e.error) {
    assert.ok(s.error, `expected error ${e.error.code}\n${show()}`);
    assert.equal(s.error.code, e.error.code);
    if (e.error.position !== undefined) assert.equal(s.error.position, e.error.position);
  } else {
    assert.equal(s.error, undefined, `unexpected error\n${show()}`);
  }
  if (e.sql !== undefined) assert.equal(s.sql, e.sql);
  if (e.kind !== undefined) assert.equal(s.kind, e.kind, show());
  if (e.readOnly !== undefined) assert.equal(s.readOnly, e.readOnly, `readOnly\n${show()}`);
  if (e.limit !== undefined) assert.equal(s.limit, e.limit);
  if (e.parameterCount !== undefined) assert.equal(s.parameterCount, e.parameterCount);
  if (e.tags !== undefined) assert.deepEqual(s.tags, e.tags);
  for (const expected of e.effects ?? []) {
    assert.ok(s.effects.some((a: Effect) => matches(a, expected)), `missing effect ${JSON.stringify(expected)}\n${show()}`);
  }
  for (const absent of e.absent ?? []) {
    const pattern = typeof absent === 'string' ? { type: absent } : absent;
    const found = s.effects.find((a: Effect) => matches(a, pattern));
    assert.equal(found, undefined, `effect ${JSON.stringify(pattern)} must be absent\n${show()}`);
  }
}

function checkAll(analysis: Analysis, c: ReturnType<typeof loadAnalyzerCases>[number]): void {
  // A single-statement case's `sql` is its input, not an expectation of the statement's own text.
  const expectations = c.statements ?? [{ ...c, sql: undefined }];
  assert.equal(analysis.statements.length, expectations.length, `statement count\n${JSON.stringify(analysis, null, 1)}`);
  expectations.forEach((e, i) => check(analysis.statements[i]!, e));
}

const cases = loadAnalyzerCases();

describe('analyser cases', () => {
  before(() => initParser());
  for (const c of cases) {
    test(`${c.file}: ${c.name}`, () => {
      checkAll(analyzeUncached(c.sql), c);
      // Twice through the cache: a miss, then a hit.
      checkAll(analyze(c.sql), c);
      checkAll(analyze(c.sql), c);
    });
  }

  test('every threat class is covered by threat cases', () => {
    assert.ok(cases.filter((c) => c.threat).length >= 40);
  });
});
