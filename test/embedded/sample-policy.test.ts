import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SAMPLE_STATEMENTS, welcomeText } from '../../src/embedded/welcome.js';
import { sampleFiles } from '../../src/embedded/package-root.js';
import { createGuard, runPolicyTests } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { enforceCapabilities, type DoorCapabilities } from '../../src/policy/combine.js';
import { builtinRules } from '../../src/policy/rules/index.js';

function samplePolicy() {
  const { policy: file } = sampleFiles();
  const result = loadPolicy(readFileSync(file, 'utf8'), { file, rules: builtinRules });
  if (!result.ok) assert.fail(result.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('\n'));
  return result.policy;
}

test('the sample policy passes its own test cases', async () => {
  const failures = (await runPolicyTests(samplePolicy())).filter((r) => !r.passed);
  assert.deepEqual(failures.map((f) => `${f.test.name}: ${f.problems.join('; ')}`), []);
});

test('every statement the welcome text suggests is decided as the text says, with the obligations it lists', async () => {
  const guard = createGuard({ policy: samplePolicy() });
  const fullDoor = { mask: true, maxResultRows: true, readOnly: true } as const;
  for (const statement of SAMPLE_STATEMENTS) {
    const actor = guard.actor(statement.actor);
    assert.ok(actor, statement.actor);
    const { decision } = await guard.evaluate({ sql: statement.sql, actor, session: { door: 'proxy' } });
    const label = `${statement.actor}: ${statement.sql}`;
    assert.equal(enforceCapabilities(decision, fullDoor).action, statement.expect, `${label} → ${decision.message}`);
    for (const rule of statement.rules) assert.ok(decision.rules.includes(rule), `${label} names ${rule}: ${decision.rules}`);
    if (decision.action !== 'allow') continue;
    const carried = Object.entries(decision.obligations).filter(([, value]) => value !== undefined && value !== false).map(([key]) => key);
    assert.deepEqual(carried.sort(), [...statement.obligations].sort(), label);
  }
});

test('for a door short of some obligations, the welcome text marks exactly the statements it denies', async () => {
  const guard = createGuard({ policy: samplePolicy() });
  const doors: DoorCapabilities[] = [{}, { readOnly: true }, { readOnly: true, mask: true }, { mask: ['hash'], maxResultRows: ['error'], readOnly: true }];
  for (const door of doors) {
    const lines = welcomeText({ host: '127.0.0.1', port: 1, capabilities: door }).split('\n');
    for (const statement of SAMPLE_STATEMENTS.filter((s) => s.expect === 'allow')) {
      const { decision } = await guard.evaluate({ sql: statement.sql, actor: guard.actor(statement.actor)!, session: { door: 'proxy' } });
      const denied = enforceCapabilities(decision, door).action === 'deny';
      const note = lines[lines.findIndex((l) => l.includes(statement.sql)) + 1]!;
      assert.equal(/denied until/.test(note), denied, `${JSON.stringify(door)} ${statement.sql}: ${note}`);
    }
  }
});

test('the agent reading customers is masked on every sensitive column and capped at 100 rows', async () => {
  const guard = createGuard({ policy: samplePolicy() });
  const { decision } = await guard.evaluate({ sql: 'SELECT * FROM customers', actor: guard.actor('agent')!, session: { door: 'proxy' } });
  assert.equal(decision.action, 'allow');
  const masked = new Set(decision.obligations.mask?.flatMap((m) => m.columns));
  for (const column of ['email', 'phone', 'ssn']) assert.ok(masked.has(`public.customers.${column}`), column);
  assert.equal(masked.has('public.customers.name'), false);
  assert.deepEqual(decision.obligations.maxResultRows, { rows: 100, onExceed: 'truncate' });
  assert.equal(decision.obligations.readOnly, true);
});

test('the view over customers masks the e-mail addresses it exposes', async () => {
  const guard = createGuard({ policy: samplePolicy() });
  const { decision } = await guard.evaluate({ sql: 'SELECT * FROM customer_emails', actor: guard.actor('agent')!, session: { door: 'proxy' } });
  assert.equal(decision.action, 'allow');
  assert.deepEqual(decision.obligations.mask?.flatMap((m) => m.columns), ['public.customer_emails.email']);
});

test('alice reading customers sees them unmasked', async () => {
  const guard = createGuard({ policy: samplePolicy() });
  const { decision } = await guard.evaluate({ sql: 'SELECT * FROM customers', actor: guard.actor('alice')!, session: { door: 'proxy' } });
  assert.equal(decision.action, 'allow');
  assert.equal(decision.obligations.mask, undefined);
});
