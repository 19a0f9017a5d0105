/**
 * Every threat-class case of the analyser's corpus (`threat: true` in test/sql/cases), decided for
 * an agent under the shipped default policy, is denied — all of them, no exceptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createGuard } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_PATH } from '../../src/cli/policy-files.js';
import { loadAnalyzerCases } from '../sql/cases/load.js';

const threats = loadAnalyzerCases().filter((c) => c.threat === true);

test('threat cases, decided for an agent under the default policy, are all denied', async () => {
  const loaded = loadPolicy(readFileSync(DEFAULT_POLICY_PATH, 'utf8'), { file: 'policies/default.yaml' });
  assert.ok(loaded.ok);
  const guard = createGuard({ policy: loaded.policy });
  const agent = guard.anonymousActor();
  assert.equal(agent.kind, 'agent');
  assert.ok(threats.length > 0, 'the analyser corpus marks threat cases');

  const allowed: string[] = [];
  for (const c of threats) {
    const { decision } = await guard.evaluate({ sql: c.sql, actor: agent, session: { door: 'proxy' } });
    if (decision.action !== 'deny') allowed.push(`${c.file}: ${c.name} → ${decision.action} [${decision.rules.join(', ')}]\n  ${c.sql.trim()}`);
  }
  assert.deepEqual(allowed, [], `${allowed.length} of ${threats.length} threat cases were not denied`);
});
