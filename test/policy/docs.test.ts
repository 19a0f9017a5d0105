/** The example policy in docs/policy.md loads, and its own tests pass: the documentation stays true. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_POLICY_PATH } from '../../src/cli/policy-files.js';
import { runPolicyTests } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';

const docs = readFileSync(join(dirname(DEFAULT_POLICY_PATH), '..', 'docs', 'policy.md'), 'utf8');

test('the example policy of docs/policy.md is valid and passes its tests', async () => {
  const example = /## The policy file\n\n```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(example, 'docs/policy.md has the example policy');
  const loaded = loadPolicy(example, { file: 'docs/policy.md example' });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  assert.ok(loaded.policy.tests.length > 0);
  const failures = (await runPolicyTests(loaded.policy)).filter((r) => !r.passed);
  assert.deepEqual(failures.map((f) => `${f.test.name}: ${f.problems.join('; ')}`), []);
});
