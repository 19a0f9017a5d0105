/** The whole-text decision (strictest statement) and what a door can enforce. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enforceCapabilities, strictest } from '../../src/policy/combine.js';
import { EngineRule } from '../../src/policy/policy.js';
import type { Action, Decision, Obligations } from '../../src/policy/types.js';

function decision(action: Action, rules: string[], obligations: Obligations = {}): Decision {
  return { action, rules, message: `${action} by ${rules.join()}`, obligations, reasons: rules.map((rule) => ({ rule, action, message: rule })), errors: [] };
}

test('the strictest statement decides the whole text', () => {
  const d = strictest([decision('allow', ['default']), decision('review', ['a']), decision('deny', ['b']), decision('deny', ['c'])]);
  assert.equal(d.action, 'deny');
  assert.deepEqual(d.rules, ['b', 'c']);
  assert.equal(d.message, 'deny by b');
  assert.equal(d.reasons.length, 4);
  assert.equal(strictest([decision('allow', ['x']), decision('review', ['a'])]).action, 'review');
});

test('when every statement is allowed their obligations combine', () => {
  const d = strictest([decision('allow', ['m'], { maxResultRows: { rows: 10, onExceed: 'truncate' } }), decision('allow', ['r'], { readOnly: true, maxResultRows: { rows: 50, onExceed: 'error' } })]);
  assert.equal(d.action, 'allow');
  assert.deepEqual(d.obligations, { maxResultRows: { rows: 10, onExceed: 'error' }, readOnly: true });
  assert.deepEqual(d.rules, ['m', 'r']);
});

test('an empty text is allowed, naming no rule', () => {
  const d = strictest([]);
  assert.equal(d.action, 'allow');
  assert.deepEqual(d.rules, []);
});

test('an obligation the door cannot honour turns allow into deny', () => {
  const masked = decision('allow', ['mask-columns'], { mask: [{ tags: ['pii'], columns: [], style: 'hash' }] });
  const denied = enforceCapabilities(masked, {});
  assert.equal(denied.action, 'deny');
  assert.deepEqual(denied.rules, [EngineRule.unenforceable, 'mask-columns']);
  assert.equal(denied.sqlstate, '42501');
  assert.match(denied.message, /mask \(hash\)/);
  assert.equal(enforceCapabilities(masked, { mask: ['redact'] }).action, 'deny');
  assert.equal(enforceCapabilities(masked, { mask: ['hash', 'redact'] }).action, 'allow');
  assert.equal(enforceCapabilities(masked, { mask: true }).action, 'allow');
});

test('each obligation needs its capability; estimates need none', () => {
  const cases: [Obligations, object, Action][] = [
    [{ readOnly: true }, {}, 'deny'],
    [{ readOnly: true }, { readOnly: true }, 'allow'],
    [{ requireReason: true }, { readOnly: true }, 'deny'],
    [{ maxResultRows: { rows: 5, onExceed: 'truncate' } }, { maxResultRows: ['error'] }, 'deny'],
    [{ maxResultRows: { rows: 5, onExceed: 'truncate' } }, { maxResultRows: true }, 'allow'],
    [{ maxAffectedRows: { rows: 5, mode: 'estimate', onUnknown: 'deny' } }, {}, 'allow'],
    [{ maxAffectedRows: { rows: 5, mode: 'exact', onUnknown: 'deny' } }, {}, 'deny'],
    [{ maxAffectedRows: { rows: 5, mode: 'exact', onUnknown: 'deny' } }, { maxAffectedRows: true }, 'allow'],
  ];
  for (const [obligations, door, expected] of cases) {
    assert.equal(enforceCapabilities(decision('allow', ['r'], obligations), door).action, expected, JSON.stringify([obligations, door]));
  }
});

test('denials and reviews pass through unchanged', () => {
  const d = decision('review', ['x']);
  assert.equal(enforceCapabilities(d, {}), d);
});
