/**
 * The decision corpus through the core (the guard pipeline called directly). The proxy and MCP
 * tests replay the same cases through their doors and must agree with every one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, coreDecider, describeDifferences, loadDecisionCorpus, runCorpus } from '../support/decision-corpus.js';

const cases = loadDecisionCorpus();

test('the corpus has cases for every decision', () => {
  const actions = new Set(cases.map((c) => c.expect.decision));
  assert.deepEqual([...actions].sort(), ['allow', 'deny', 'review']);
});

for (const c of cases) {
  test(c.id, async () => {
    const outcome = await coreDecider(c);
    assert.ok(outcome);
    assert.deepEqual(compare(c, outcome), []);
  });
}

test('runCorpus reports differences (a door that allows everything differs on every non-allow case)', async () => {
  const differences = await runCorpus(async () => ({ action: 'allow', rules: ['default'] }), cases);
  const expected = cases.filter((c) => c.expect.decision !== 'allow' || (c.expect.rules && c.expect.rules.join() !== 'default'));
  assert.equal(differences.length, expected.length, describeDifferences(differences));
  assert.deepEqual(await runCorpus(coreDecider, cases), []);
});
